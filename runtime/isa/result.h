// Result<T> and Diagnostic are part of the public API (bpfjit/result.h); every layer uses
// the same type so that errors pass up unchanged.
#pragma once

#include "bpfjit/result.h"
