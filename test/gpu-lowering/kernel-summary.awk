# One line per outlined kernel: its kind ("tiled": stages matmul tiles in
# workgroup memory; "tree": a shared-memory tree reduction; "splitsum":
# adds the planes of a split-K matmul's scratch buffer, the only
# memref<?x?x?xf32> kernels take; "plain"), whether its threads loop, and
# the highest rank among its memref arguments other than that scratch
# buffer. A plain kernel that loops also says whether every loop runs a
# small constant number of times ("short": at most 32, like the ten classes
# of a softmax row) or not ("long": a trip count that grows with a tensor).
function flush() {
  if (name == "") return
  if (kind == "tiled" && !fma) kind = "tree"
  line = kind " " loop " rank" rank
  if (kind == "plain" && loop == "loop") line = line (long ? " long" : " short")
  print line
}
/gpu.func @/ {
  flush()
  name = $2
  kind = ($0 ~ /workgroup\(/) ? "tiled" : \
         ($0 ~ /memref<\?x\?x\?xf32>/) ? "splitsum" : "plain"
  loop = "noloop"
  rank = 0
  fma = 0
  long = 0
  line = $0
  while (match(line, /memref<[^>]*>/)) {
    type = substr(line, RSTART, RLENGTH)
    r = (type == "memref<?x?x?xf32>") ? 0 : gsub(/x/, "x", type)
    if (r > rank) rank = r
    line = substr(line, RSTART + RLENGTH)
  }
}
/math\.fma/ { fma = 1 }
/scf\.for/ {
  loop = "loop"
  bound = $0
  sub(/.* to /, "", bound)
  sub(/ .*/, "", bound)
  if (bound !~ /^%c[0-9]+$/ || substr(bound, 3) + 0 > 32) long = 1
}
END { flush() }
