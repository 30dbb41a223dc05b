// The GYRO_LOGS channels' names and help (from log_channels.def) and parsing a spec.
#include "interp/compile_log.h"

#include <fmt/format.h>

namespace gyro {

std::string_view log_channel_name(LogChannel channel) {
  switch (channel) {
#define LOG_CHANNEL(name, help) \
  case LogChannel::name:        \
    return #name;
#include "interp/log_channels.def"
#undef LOG_CHANNEL
  }
  return "?";
}

std::string_view log_channel_help(LogChannel channel) {
  switch (channel) {
#define LOG_CHANNEL(name, help) \
  case LogChannel::name:        \
    return help;
#include "interp/log_channels.def"
#undef LOG_CHANNEL
  }
  return "?";
}

uint32_t parse_log_channels(std::string_view spec, std::string& unknown) {
  uint32_t mask = 0;
  while (!spec.empty()) {
    std::size_t comma = spec.find(',');
    std::string_view name = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (name.empty()) continue;
    if (name == "all") {
      mask |= (uint32_t{1} << kNumLogChannels) - 1;
      continue;
    }
    bool found = false;
    for (int i = 0; i < kNumLogChannels; ++i) {
      if (log_channel_name(static_cast<LogChannel>(i)) == name) {
        mask |= uint32_t{1} << i;
        found = true;
      }
    }
    if (!found) unknown += fmt::format("{}{}", unknown.empty() ? "" : ",", name);
  }
  return mask;
}

std::string log_channels_help() {
  std::string text = "GYRO_LOGS channels (comma-separated, or all):";
  for (int i = 0; i < kNumLogChannels; ++i) {
    auto channel = static_cast<LogChannel>(i);
    text += fmt::format("\n  {}: {}", log_channel_name(channel), log_channel_help(channel));
  }
  return text;
}

}  // namespace gyro
