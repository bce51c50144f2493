# A small program with every kind of operand: sums the bytes of its input buffer
# (r1 = address, r2 = length) and adds 0x100000000 and the result of helper 5.
  mov %r0, 0
  mov %r3, 0
loop:
  jge %r3, %r2, done
  mov %r4, %r1
  add %r4, %r3
  ldxb %r5, [%r4]
  add %r0, %r5
  add %r3, 1
  ja loop
done:
  lddw %r6, 0x100000000
  add %r0, %r6
  stxdw [%r10-8], %r0
  mov %r1, 7
  call 5
  ldxdw %r6, [%r10-8]
  add %r0, %r6
  exit
