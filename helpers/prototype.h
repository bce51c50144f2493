// The helper and program type vocabulary is public (bpfjit/program_type.h): hosts register
// their own helpers and program types with it.
#pragma once

#include "bpfjit/program_type.h"
#include "runtime/isa/machine.h"
