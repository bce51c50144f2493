// The interpreter: runs any decoded program, instruction by instruction, with every memory
// access checked against the run's RunContext.
#pragma once

#include <memory>
#include <vector>

#include "runtime/isa/isa.h"
#include "runtime/isa/machine.h"
#include "runtime/isa/result.h"

namespace bpfjit {

// Makes a decoded program ready to run. The program is validated again (as validate() does)
// and pre-decoded once into threaded code; nothing is decoded while it runs.
//
// Instructions the interpreter cannot run are accepted here and stop the run with
// TrapKind::kUnsupported only when they are reached: kfunc calls (CallBtf), lddw with
// src != 0 (a map or code reference the loader has not resolved) and the legacy packet
// loads (LdAbs/LdInd). A program may carry them in code that never runs.
Result<std::unique_ptr<Executable>> make_interpreter(std::vector<Insn> insns);

}  // namespace bpfjit
