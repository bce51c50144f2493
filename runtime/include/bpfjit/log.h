/// @file
/// Where bpfjit's log messages go. bpfjit logs through its own spdlog logger ("bpfjit"),
/// never spdlog's default one, and by default writes to stderr at info level and above.
#pragma once

#include "bpfjit/types.h"

namespace bpfjit {

/// Sends the log messages of every Runtime in the process at `level` and above to `sink`.
/// An empty sink restores the default (stderr). The sink may be called from any thread,
/// one call at a time.
void set_log_sink(LogSink sink, LogLevel level = LogLevel::kInfo);

/// Changes the threshold of the current sink.
void set_log_level(LogLevel level);

}  // namespace bpfjit
