# A BF16 token quantized to the FP8 dispatch payload (E4M3 + one FP32 scale per 1x128 tile), then
# sent to three GPUs of its own node (MULTICAST over NVLink) and to two GPUs of node 1 with a single
# IB crossing (FORWARD through n1.g0, the GPU with the sender's in-node index).
# Run: hwlab isa run isa/examples/multicast.s --memory isa/examples/multicast.yaml --dump n1.g2:0x4000:132

.equ HIDDEN, 128
.equ TOKEN, 0x1000          # BF16 token on the sender
.equ PAYLOAD, 0x3000        # its FP8 payload: 128 codes + one FP32 scale
.equ PAYLOAD_BYTES, HIDDEN + 4
.equ RECV, 0x4000           # receive row on every destination

QUEUE coproc=n0.g0, queue=0
    CAST dst=PAYLOAD, src=TOKEN, cols=HIDDEN, rows=1, stype=bf16, dtype=e4m3s
    MULTICAST dsts=p0.n0.g{1,2,3}, dst=RECV, src=PAYLOAD, bytes=PAYLOAD_BYTES
    FORWARD dsts=p0.n1.g{0,2}, via=0, dst=RECV, src=PAYLOAD, bytes=PAYLOAD_BYTES
