// `bpfjit verify` verifies loaded programs through the runtime's glue (runtime/verify_loaded.h).
#pragma once

#include "runtime/verify_loaded.h"

namespace bpfjit::cli {

using bpfjit::verify_loaded_program;

}  // namespace bpfjit::cli
