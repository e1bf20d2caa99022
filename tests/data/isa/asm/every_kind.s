# One instruction of each operand kind.
MULTICAST dsts=p3.n7.g{0,2,7}, dst=0x10, src=0x100, bytes=8
FORWARD dsts=n1.g{1,2}, via=0, dst=0x80, src=0, bytes=4
REDUCE dst=0, srcs=n0.g{1,0}, src=0, cols=64, rows=1, stype=e4m3s, dtype=bf16, accumulate=yes
MMA.FP8 0, 0x100, 0x200, 0x300, 0x304, 1, 1, 32, e4m3, 13, tile, 128, yes
LOGFMT.ENC dst=0x100, src=0x0, cols=8, rows=1, stype=fp32, bits=3
CAST 0x100, 0, 4, 1, bf16, e4m3u
WCAST 0x400, 0, bf16, e5m2
LDTRANS 0x900, 0x800, 2, 3, 2
WAIT 8, eq, 3, acquire
FENCE
NOP
