# Labels, constants and nested loops.
.equ ROW, 64
QUEUE coproc=n0.g0, queue=1
outer: SIGNAL counter=n0.g0:0x0, op=add, value=1, order=relaxed
inner: WRITE dst=p1.n1.g2:0x1000 + ROW*2, src=0x40, bytes=ROW
  LOOP target=inner, count=2
  LOOP target=outer, count=3
