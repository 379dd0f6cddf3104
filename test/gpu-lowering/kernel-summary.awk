# One line per outlined kernel: whether it stages tiles in workgroup memory,
# whether its threads loop, and the highest rank among its memref arguments.
function flush() {
  if (name != "") print kind, loop, "rank" rank
}
/gpu.func @/ {
  flush()
  name = $2
  kind = ($0 ~ /workgroup\(/) ? "tiled" : "plain"
  loop = "noloop"
  rank = 0
  line = $0
  while (match(line, /memref<[^>]*>/)) {
    type = substr(line, RSTART, RLENGTH)
    r = gsub(/x/, "x", type)
    if (r > rank) rank = r
    line = substr(line, RSTART + RLENGTH)
  }
}
/scf\.for/ { loop = "loop" }
END { flush() }
