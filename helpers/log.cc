#include "helpers/log.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <memory>
#include <mutex>
#include <string>

#include "bpfjit/types.h"

namespace bpfjit {

namespace {

spdlog::level::level_enum to_spdlog(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace: return spdlog::level::trace;
    case LogLevel::kDebug: return spdlog::level::debug;
    case LogLevel::kInfo: return spdlog::level::info;
    case LogLevel::kWarning: return spdlog::level::warn;
    case LogLevel::kError: return spdlog::level::err;
    case LogLevel::kCritical: return spdlog::level::critical;
    case LogLevel::kOff: return spdlog::level::off;
  }
  return spdlog::level::info;
}

LogLevel from_spdlog(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace: return LogLevel::kTrace;
    case spdlog::level::debug: return LogLevel::kDebug;
    case spdlog::level::info: return LogLevel::kInfo;
    case spdlog::level::warn: return LogLevel::kWarning;
    case spdlog::level::err: return LogLevel::kError;
    case spdlog::level::critical: return LogLevel::kCritical;
    case spdlog::level::off:
    case spdlog::level::n_levels: return LogLevel::kOff;
  }
  return LogLevel::kInfo;
}

// Forwards each message to the host's sink, or to a stderr sink when there is none.
// base_sink's mutex serialises calls, so the host's sink sees one message at a time.
class ForwardingSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  ForwardingSink() : stderr_(std::make_shared<spdlog::sinks::stderr_color_sink_st>()) {
    stderr_->set_pattern("[bpfjit] [%l] %v");
  }
  void set_host(std::function<void(LogLevel, std::string_view)> sink) {
    std::lock_guard<std::mutex> lock(mutex_);
    host_ = std::move(sink);
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (host_) {
      host_(from_spdlog(msg.level), std::string_view(msg.payload.data(), msg.payload.size()));
    } else {
      stderr_->log(msg);
    }
  }
  void flush_() override { stderr_->flush(); }

 private:
  std::shared_ptr<spdlog::sinks::stderr_color_sink_st> stderr_;
  std::function<void(LogLevel, std::string_view)> host_;
};

struct LoggerState {
  std::shared_ptr<ForwardingSink> sink = std::make_shared<ForwardingSink>();
  spdlog::logger logger{"bpfjit", sink};
  LoggerState() { logger.set_level(spdlog::level::info); }
};

LoggerState& state() {
  static LoggerState s;
  return s;
}

}  // namespace

spdlog::logger& logger() { return state().logger; }

// The public calls (bpfjit/runtime.h).
void set_log_sink(std::function<void(LogLevel, std::string_view)> sink, LogLevel level) {
  state().sink->set_host(std::move(sink));
  state().logger.set_level(to_spdlog(level));
}

void set_log_level(LogLevel level) { state().logger.set_level(to_spdlog(level)); }

}  // namespace bpfjit
