  ldxdw %r3, [%r1+0]
  jgt32 %r3, 60, out
  add %r1, %r3  # <-
  ldxb %r0, [%r1+0]
  exit
out:
  mov %r0, 0
  exit

