// Hand-written-assembly style object: programs that exist only as sections, with no
// function symbol (as objects assembled from .s files or written for iproute2 often are).
// The file-level asm blocks place the code; nothing else is in the object.
asm(".section \"xdp_pass\",\"ax\",@progbits\n"
    "  r0 = 2\n"
    "  exit\n");

asm(".section \"socket_trunc\",\"ax\",@progbits\n"
    "  r0 = *(u32 *)(r1 + 0)\n"
    "  if r0 < 64 goto +1\n"
    "  r0 = 64\n"
    "  exit\n");

char _license[] __attribute__((section("license"), used)) = "GPL";
