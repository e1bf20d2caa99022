# Lines the assembler rejects, each with its place (seeds for the fuzzer).
WRIT dst=n0.g0:0, src=0, bytes=1
WRITE dst=n2048.g0:0, src=0, bytes=1
WRITE n1.g0:0/0, 0, 1
WRITE n1.g0:0, 0x7fffffffffffffff + 1, 1
CAST dst=0, src=0, cols=1, rows=1, stype=bf16, dtype=bf16
SIGNAL n0.g1:4, add, 1, release
MULTICAST n0.g{1,1}, 0, 0, 8
.include "other.s"
