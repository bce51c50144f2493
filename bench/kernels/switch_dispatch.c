/* A byte-code style loop: each input byte selects one of eight operations on an
 * accumulator through a switch. */
#include "kernel_def.h"

KERNEL(switch_dispatch) {
  u64 acc = 0;
  for (u64 i = 0; i < len; i++) {
    u8 op = buf[i];
    switch (op & 7) {
      case 0: acc += op; break;
      case 1: acc ^= acc << 3; break;
      case 2: acc -= (u64)op * 3; break;
      case 3: acc = (acc >> 1) | (acc << 63); break;
      case 4: acc *= 0x9e3779b97f4a7c15ull; break;
      case 5: acc |= op; break;
      case 6: acc &= ~(u64)op; break;
      default: acc += i; break;
    }
  }
  return acc;
}
