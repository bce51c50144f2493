// bpfjit's own logger: every layer that logs writes to the spdlog logger "bpfjit", never
// to spdlog's default logger, so that a host's own spdlog set-up is left alone. Its one
// sink forwards to the host's LogSink (bpfjit::set_log_sink) or, by default, to stderr.
#pragma once

#include <spdlog/logger.h>

namespace bpfjit {

// The "bpfjit" logger (created on first use, thread-safe).
spdlog::logger& logger();

}  // namespace bpfjit
