// The library's version: printed by `gyro --version`, and part of every compile-cache key (an
// artifact written by another version is a cache miss, never trusted).
#pragma once

namespace gyro {

inline constexpr char kGyroVersion[] = "0.1.0";

}  // namespace gyro
