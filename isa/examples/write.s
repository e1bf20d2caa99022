# One WRITE across IB, and a release SIGNAL that lets the receiving queue go on.
# Run: hwlab isa run isa/examples/write.s --memory isa/examples/write.yaml --dump n1.g0:0x2000:16:bf16

.equ ROW_BYTES, 32          # 16 BF16 values
.equ DATA, 0x1000           # the row, on both GPUs
.equ COPY, 0x2000           # where the receiver copies it after the signal
.equ FLAG, 0x0              # the receiver's arrival counter

QUEUE coproc=n0.g0, queue=0                 # the sender, node 0
    WRITE dst=p0.n1.g0:DATA, src=DATA, bytes=ROW_BYTES
    SIGNAL counter=p0.n1.g0:FLAG, op=add, value=1, order=release

QUEUE coproc=n1.g0, queue=0                 # the receiver, node 1
    WAIT counter=FLAG, cond=ge, value=1, order=acquire
    READ dst=COPY, src=p0.n1.g0:DATA, bytes=ROW_BYTES    # a local copy: sees the data the flag published
