#include "proxy/logging.hpp"

#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace pgtally {

void setup_logging(const std::string& log_file, const std::string& level) {
  const auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") {
    throw std::runtime_error(fmt::format(
        "unknown log level '{}': use trace, debug, info, warn, error, critical or off", level));
  }
  std::shared_ptr<spdlog::logger> logger;
  if (log_file.empty()) {
    logger = std::make_shared<spdlog::logger>(
        "pgtally", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  } else {
    try {
      // Reopened (not truncated) each time, so log rotation works with SIGHUP.
      logger = std::make_shared<spdlog::logger>(
          "pgtally", std::make_shared<spdlog::sinks::basic_file_sink_mt>(log_file, false));
    } catch (const spdlog::spdlog_ex& e) {
      throw std::runtime_error(fmt::format("cannot open log file {}: {}", log_file, e.what()));
    }
  }
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %l %v");
  logger->set_level(parsed);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(std::move(logger));
}

namespace {
constexpr const char* kFindingsLogger = "findings";
}  // namespace

void setup_findings_log(const std::string& destination) {
  std::shared_ptr<spdlog::logger> logger;
  if (destination == "off") {
    spdlog::drop(kFindingsLogger);
    return;
  }
  if (destination == "stdout") {
    logger = std::make_shared<spdlog::logger>(kFindingsLogger,
                                              std::make_shared<spdlog::sinks::stdout_sink_mt>());
  } else {
    try {
      logger = std::make_shared<spdlog::logger>(
          kFindingsLogger, std::make_shared<spdlog::sinks::basic_file_sink_mt>(destination, false));
    } catch (const spdlog::spdlog_ex& e) {
      throw std::runtime_error(
          fmt::format("cannot open findings log {}: {}", destination, e.what()));
    }
  }
  logger->set_pattern("%v");  // each line is one JSON document
  logger->flush_on(spdlog::level::trace);
  spdlog::drop(kFindingsLogger);
  spdlog::register_logger(std::move(logger));
}

void log_finding(const std::string& json_line) {
  if (auto logger = spdlog::get(kFindingsLogger)) logger->info(json_line);
}

}  // namespace pgtally
