// Compile logging: the GYRO_LOGS channels (log_channels.def) and the spec that selects them.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace gyro {

enum class LogChannel : uint8_t {
#define LOG_CHANNEL(name, help) name,
#include "interp/log_channels.def"
#undef LOG_CHANNEL
};
inline constexpr int kNumLogChannels = 0
#define LOG_CHANNEL(name, help) +1
#include "interp/log_channels.def"
#undef LOG_CHANNEL
    ;

std::string_view log_channel_name(LogChannel channel);
std::string_view log_channel_help(LogChannel channel);

// Where compile logs and warnings go: one message per call, without a trailing newline.
using LogCallback = std::function<void(std::string_view message)>;

// A GYRO_LOGS spec ("graph,recompiles", "all", "" for none; spaces ignored) as a channel mask.
// Names that are not channels are collected in `unknown` (comma-separated), "help" included.
uint32_t parse_log_channels(std::string_view spec, std::string& unknown);
// "GYRO_LOGS channels:\n  graph: ...": every channel with its help, for GYRO_LOGS=help.
std::string log_channels_help();

}  // namespace gyro
