//===- Passes.td - Every pass of the Kiln compiler ----------*- tablegen -*-===//
//
// One list for all passes so `kiln-opt --help` and the docs stay in step.
// Implementations live beside their area (Autodiff/, Conversion/, Target/).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_PASSES
#define KILN_PASSES

include "mlir/Pass/PassBase.td"

def GenerateTraining : Pass<"kiln-generate-training", "::mlir::ModuleOp"> {
  let summary = "Generate init, train_step, evaluate and predict from @forward";
  let description = [{
    Before: `func.func @forward(inputs, labels, params) -> (loss, output)`
    with `kiln.input`/`kiln.label`/`kiln.param` argument attributes and the
    optimizer in the module's `kiln.optimizer` attribute.

    After: `@forward` is replaced by
      - `@init(seed: i64) -> (state...)`: parameters from their initializers,
        optimizer slots at their initial value, step 0;
      - `@train_step(state..., inputs, labels) -> (loss, state...)`: forward
        pass plus the `kiln.regularization` penalties, reverse-mode gradients
        built from each op's GradientOpInterface, gradient clipping, the
        learning-rate schedule at the step counter, and the optimizer update
        as one fused `linalg.generic` per parameter (parameter and slots);
      - `@evaluate(params..., inputs, labels) -> (loss, output)`, and with
        `kiln.top_k = k` on the module a third result `kiln.result =
        "top_k_hits"`: the f32[] number of (example, label) pairs whose label
        is among the top k of its block of the output (ties to the lower
        class index), built from one_hot, step, equal and sums;
      - `@predict(params..., inputs) -> output` (label-free slice).
    State arguments and results carry `kiln.state = "<name>"`.
  }];
  let dependentDialects = ["::kiln::KilnDialect", "::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::tensor::TensorDialect"];
}

def ConvertKilnToLinalg : Pass<"kiln-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Lower kiln ops to linalg, tensor, arith and math on tensors";
  let description = [{
    Elementwise and broadcasting ops become `linalg.generic` with broadcast
    indexing maps, matmul becomes a contraction, reductions
    `linalg.generic` reductions, reshapes `tensor.collapse_shape` /
    `tensor.expand_shape`, convolution and pooling linalg's named NHWC ops
    on a zero-padded copy (their gradients guarded-gather generics), and
    random initializers and dropout a counter-based hash over
    `linalg.index`. Dynamic sizes come from `tensor.dim` of operands.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect"];
}

def LowerToStateABI : Pass<"kiln-state-abi", "::mlir::ModuleOp"> {
  let summary = "Lay out the training state and give functions a buffer ABI";
  let description = [{
    Before: tensor functions @init/@train_step/@evaluate/@predict whose
    state arguments/results carry `kiln.state`.

    After: functions `@<model>_<fn>_impl` that take the whole state as one
    `memref<?xi8>` (each entry a `memref.view` at a 64-byte aligned offset),
    inputs and labels as memrefs with a dynamic batch, and outputs (loss,
    predictions, evaluate's `top_k_hits` with the role "metric") as memref
    arguments written with
    `bufferization.materialize_in_destination`, so one-shot bufferization
    updates parameters in place. The layout is recorded in
    `kiln.state_layout` and `kiln.state_size` on the module.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect"];
}

def EmitCInterface : Pass<"kiln-emit-c-interface", "::mlir::ModuleOp"> {
  let summary = "Add the public C functions around the lowered impl functions";
  let description = [{
    Runs on the LLVM dialect. For each `@<model>_<fn>_impl` it adds
    `@<model>_<fn>` taking plain pointers and a batch size (the API in the
    generated header), building the memref descriptors the impl expects and
    returning the loss as a float. Also adds `@<model>_state_size`. An impl
    of several inputs or several labels also gets `@<model>_<fn>_packed`,
    which takes each of those roles in one buffer, each argument's
    [batch, ...] block after the other. Metric arguments (evaluate's
    `top_k_hits`) go to scratch in those, and to pointers after the outputs
    in `@<model>_<fn>[_packed]_metrics`.

    The workspace (`kiln.workspace`) is allocated by its first call: blocks
    of 2 MiB or more aligned to 2 MiB and, with `huge-pages` (Linux
    targets), advised for transparent huge pages (`madvise`), since a
    training step walks its large temporaries a few rows per page.
  }];
  let options = [
    Option<"hugePages", "huge-pages", "bool", "false",
           "Advise large workspaces for huge pages (madvise, Linux)">
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def EmbedManifest : Pass<"kiln-embed-manifest", "::mlir::ModuleOp"> {
  let summary = "Embed the model's FlatBuffers manifest and its accessor";
  let description = [{
    Runs on the LLVM dialect after kiln-emit-c-interface. Builds a
    `kiln.fb.Manifest` (runtime/schema/manifest.fbs: model name, target,
    compiler, the C API's inputs/labels/outputs, the state layout, the
    optimizer and its slots) from the module, stores it in the constant
    `@<model>_manifest_data` and adds
    `const void *<model>_manifest(size_t *size)` returning it.
  }];
  let options = [
    Option<"target", "target", "std::string", "\"cpu\"",
           "the target the object is for (cpu or cuda)">,
    Option<"threads", "threads", "int64_t", "1",
           "the OpenMP team size the object was compiled for">,
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

//===----------------------------------------------------------------------===//
// The CUDA pipeline (compiler/Target/Cuda*.cpp, run by Pipelines/CudaPipeline)
//===----------------------------------------------------------------------===//

def GpuIm2Col : Pass<"kiln-gpu-im2col", "::mlir::ModuleOp"> {
  let summary = "Convolution-like contractions as gathered operands and a matmul";
  let description = [{
    Runs on tensors after elementwise fusion. A linalg op computing
    out[P] += a * b, where `a` depends on a leading group P_A of the output
    dimensions and `b` on the rest P_B (plus reduction dimensions R), is
    rewritten as all-parallel generics that gather A[P_A, R] (im2col) and
    B[R, P_B] and one `linalg.matmul`, which kiln-gpu-tile-matmul then
    turns into a shared-memory kernel. Convolutions and both their
    gradients, sums over many positions (a = 1) and matmuls with a fused
    producer in their body have that form.

    Before: `linalg.conv_2d_nhwc_hwcf ins(%x, %w) outs(%y)`
    After:  an all-parallel `linalg.generic` gathering %x into
            [N, OH, OW, KH, KW, C], collapsed to [N*OH*OW, KH*KW*C];
            %w collapsed to [KH*KW*C, F]; `linalg.matmul`; its result
            expanded back to [N, OH, OW, F].
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
}

def GpuSplatToFill : Pass<"kiln-gpu-splat-to-fill", "::mlir::ModuleOp"> {
  let summary = "Splat tensor constants as linalg.fill, so they live on the device";
  let description = [{
    A static splat `arith.constant` tensor would bufferize to a host global
    copied to the device on every call; as a fill of `tensor.empty` it
    becomes a device buffer written by a kernel.

    Before: `%c = arith.constant dense<1.0> : tensor<4x8xf32>`
    After:  `%s = arith.constant 1.0 : f32`
            `%c = linalg.fill ins(%s) outs(tensor.empty())`
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def GpuPlaceBuffers : Pass<"kiln-gpu-place-buffers", "::mlir::ModuleOp"> {
  let summary = "Put every buffer of the impl functions in device memory";
  let description = [{
    Runs on bufferized functions. `memref.alloc`/`alloca` become
    `gpu.alloc` and `memref.dealloc` `gpu.dealloc`; host inputs and labels
    (by their `kiln.c_roles`) are copied into device buffers at entry and
    outputs (loss, logits) back before the return; constant globals are
    copied into device buffers; `memref.copy` becomes `gpu.memcpy` (or
    `linalg.copy` for strided views). The state argument is taken to be a
    device pointer already. Any other host allocation or copy is an error.

    Before: `%t = memref.alloc(%n) : memref<?x10xf32>`, reads of `%x`
    After:  `%t = gpu.alloc(%n) : memref<?x10xf32>`, reads of a device
            copy of `%x` made with `gpu.memcpy` at entry
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::memref::MemRefDialect"];
}

def GpuTileMatmul : Pass<"kiln-gpu-tile-matmul", "::mlir::ModuleOp"> {
  let summary = "Matmul-like linalg.generic as shared-memory tiled GPU kernels";
  let description = [{
    Runs on device memrefs. Moves the reduction loops of every
    `linalg.generic` innermost (so each parallel iteration owns its loop),
    and turns each f32 contraction C[i,j] += A[i,k] * B[k,j] (operands in
    any of their memory orders) into one `gpu.launch` of 16x16 threads that
    stage A and B tiles in workgroup memory and accumulate a register tile
    per thread with FMA (`math.fma`). When the output's tiles are too few
    to fill the GPU, K is split over blockIdx.z: each block stores its
    partial sums in its own plane of a scratch buffer, and a second kernel
    adds the planes to C in plane order (no atomics: the same bits every
    run). Large tiles read A and B from workgroup memory as 16-byte vectors.

    Before: `linalg.matmul ins(%a, %b) outs(%c)` (as a generic)
    After:  `gpu.launch` with two workgroup memrefs, an `scf.for` over K
            tiles with `gpu.barrier`s and `math.fma` accumulation
  }];
  let options = [
    Option<"enableMatmul", "matmul", "bool", "true",
           "emit tiled matmul kernels (false: only reorder the loops)">,
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::vector::VectorDialect"];
}

def GpuParallelReductions
    : Pass<"kiln-gpu-parallel-reductions", "::mlir::ModuleOp"> {
  let summary = "Long reductions as deterministic two-stage tree kernels";
  let description = [{
    A `linalg.generic` on device buffers that folds values into its one
    output with a commutative op that has a neutral element (add, max,
    min), over a reduced extent R that is dynamic or longer than 32,
    becomes: (1) G blocks per output element, each folding a chunk of R
    with threads striding over it and then a tree in shared memory, thread
    0 writing the block's partial; (2) one block per output element folding
    its G partials the same way into the output. The order is fixed, so
    the result is the same every run. When R is static and one block
    covers it, stage 1 folds into the output and there is no stage 2.

    Before: `linalg.generic {iterator_types = ["reduction"]}` summing
            `memref<?xf32>` into `memref<f32>`
    After:  two `gpu.launch` ops with workgroup memory and `gpu.barrier`
            trees, the partials in a `gpu.alloc` buffer
  }];
  let dependentDialects = ["::mlir::affine::AffineDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::gpu::GPUDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect"];
}

def GpuMapHostCode : Pass<"kiln-gpu-map-host-code", "::mlir::ModuleOp"> {
  let summary = "Move host memory accesses into kernels; tile parallel loops";
  let description = [{
    Runs after convert-linalg-to-parallel-loops. Memory accesses left at
    the top level of a function (0-d results, scalar loops) run in
    one-thread `gpu.launch` ops, consecutive ones sharing a kernel; loads
    of device memory move into the regions that use them; every top-level
    `scf.parallel` is collapsed to one dimension (row-major, so consecutive
    threads touch consecutive elements) and tiled for 256-thread blocks.

    Before: `memref.store %v, %loss[]` on the host, a 2-D `scf.parallel`
    After:  the store inside a 1x1x1 `gpu.launch`, a 1-D `scf.parallel`
            over blocks of 256 iterations
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::affine::AffineDialect"];
}

def GpuAlignWorkgroupBuffers
    : Pass<"kiln-gpu-align-workgroup-buffers", "::mlir::gpu::GPUModuleOp"> {
  let summary = "Align every kernel's workgroup buffers to 16 bytes";
  let description = [{
    The tiled matmul kernels read their shared-memory tiles as 16-byte
    vectors, which `ld.shared.v4` requires to be 16-byte aligned; a
    workgroup buffer is otherwise aligned only to its element type. Sets
    `llvm.align = 16` on each workgroup attribution of each `gpu.func`
    (run after kernel outlining) that has none.

    Before: `gpu.func @k() workgroup(%t : memref<16x64xf32, 3>)`
    After:  `gpu.func @k() workgroup(%t : memref<16x64xf32, 3> {llvm.align = 16 : i64})`
  }];
}

def GpuMergeKernelModules
    : Pass<"kiln-gpu-merge-kernel-modules", "::mlir::ModuleOp"> {
  let summary = "Move every outlined kernel into one gpu.module per model";
  let description = [{
    gpu-kernel-outlining makes one `gpu.module` per kernel; one module
    named `<model>_kernels` gives one PTX file (one ptxas run, one module
    load at run time). Kernels with the same body (evaluate and predict
    repeat the forward kernels of train_step) are kept once, and every
    `gpu.launch_func` is pointed at the kernel kept.

    Before: `gpu.module @step_kernel { gpu.func @step_kernel }`,
            `gpu.module @step_kernel_0 { ... }`
    After:  `gpu.module @<model>_kernels { gpu.func @step_kernel ... }`
  }];
}

def CudaStateHelpers
    : Pass<"kiln-cuda-state-helpers", "::mlir::ModuleOp"> {
  let summary = "Add <model>_state_to_host and _from_host for device state";
  let description = [{
    Runs on the LLVM dialect of a CUDA model (after kiln-state-abi recorded
    `kiln.state_size`). Adds `void <model>_state_to_host(const void *state,
    void *host)` and `<model>_state_from_host(void *state, const void
    *host)`, each one call of libkilnrt's `kiln_cuda_copy` over the whole
    state, for checkpoints and inspection.

    Before: a module with `kiln.state_size = 1024`
    After:  `llvm.func @<model>_state_to_host(%state, %host)` calling
            `@kiln_cuda_copy(%host, %state, 1024)`, and its counterpart
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def VectorizableLoopOrder : Pass<"kiln-vectorizable-loop-order"> {
  let summary = "Order linalg.generic loops so the innermost one is unit-stride";
  let description = [{
    Loops are emitted in the order of a generic's iteration dimensions, and
    LLVM vectorizes the innermost loop well only when every access in it is
    contiguous. For each `linalg.generic` this pass moves innermost the
    dimension that is the last (unit-stride) index of the most operands and
    a non-last index of none, preferring parallel dimensions; e.g. the
    contraction C[m,n] += A[m,k] * B[k,n] becomes the (m, k, n) loop nest.
    Floating-point ops in the body of a generic with reduction dimensions
    get `reassoc` and `contract`, so a reduction loop can be vectorized and
    use FMA. Results stay deterministic for a given binary.

    Before: `iterator_types = ["parallel", "parallel", "reduction"]`
    After:  `iterator_types = ["parallel", "reduction", "parallel"]`
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::arith::ArithDialect"];
}

def FuseEpilogues : Pass<"kiln-fuse-epilogues"> {
  let summary = "Mark elementwise ops to run on their producing product's tiles";
  let description = [{
    Marks with `kiln.epilogue` each elementwise `linalg.generic` (all loops
    parallel, one result indexed by the loops in order) that reads, at the
    same place, the whole result of a reduction (a matrix product, a
    convolution) that nothing else reads: a layer's bias + relu, the
    logits' bias, relu's mask on an input gradient. `kiln-parallelize-loops`
    and `kiln-vectorize-contractions` then fuse a marked op into the loops
    they tile its producer into (upstream consumer fusion), so it runs on
    each chunk and each register tile while the tile is still in registers,
    instead of as another pass over the output in memory (and, with
    threads, another parallel region). A mask (`select(cond, x, 0)`, cond
    from the op's other inputs: relu's gradient) on a sum that no kernel
    tiles and that starts from zeros (a pooling gradient) is folded into
    the sum's body instead: each term is masked as it is added, which gives
    the same bits. Switching this pass off leaves every such op a pass of
    its own.

    Before: `%c = linalg.generic {.., "reduction"} ...` read only by
    `%y = linalg.generic {iterator_types = ["parallel", "parallel"]} ins(%c,
    %bias ...)`.
    After: the same, `%y`'s op with the unit attribute `kiln.epilogue`.
  }];
}

def FuseRowReductions : Pass<"kiln-fuse-row-reductions"> {
  let summary = "Run row reductions and the ops that read them row by row";
  let description = [{
    An elementwise `linalg.generic` over a matrix (two parallel loops) that
    reads per-row results of a row reduction over the same matrix (loops
    row, column; the column a reduction) is tiled one row at a time, with
    the reduction's tile for that row fused in front of it (upstream
    producer fusion). Each row is then read once from memory for both:
    softmax cross-entropy's statistics (max, sum of exponentials, picked
    logit) and its gradient make one pass over the logits. When other ops
    (the loss) read the reduction's results too, the loop yields them.
    Switching this pass off leaves the two as passes of their own.

    Before: `%s:2 = linalg.generic {["parallel", "reduction"]} ins(%x)` and
    `%g = linalg.generic {["parallel", "parallel"]} ins(%x, %s#0, %s#1)`.
    After: `%g = scf.for %i ... { %xi = tensor.extract_slice %x[%i, 0]
    [1, C]; %si:2 = linalg.generic ... ins(%xi); linalg.generic ...
    ins(%xi, %si#0, %si#1) }`.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect"];
}

def VectorizeContractions : Pass<"kiln-vectorize-contractions"> {
  let summary = "Register-tile matrix products and turn the tiles into vector.contract";
  let description = [{
    Every `linalg.generic` contraction with one M, one N and one K dimension
    (forward and backward matmuls of dense layers, whatever their transposes)
    is tiled into `scf.for` loops over M and N tiles of `tile-m` x `tile-n`
    and single steps of K, in that loop order, unless B is too large to
    stay in cache while the N loop re-reads it for every row tile and A is
    smaller: then N is the outer loop (a batch of 64 times a 3136x1024
    weight reads the weight once), and each column tile's strip of a
    static B is first copied into a contiguous K x `tile-n` tensor, so the
    row tiles read it sequentially instead of one row of B per page. The
    M and N loops are peeled so that every tile has a static shape and
    becomes one `vector.contract` (an outer product per K step, accumulated
    in registers once `kiln-hoist-register-tiles` has moved the C
    tile's read and write out of the K loop); edge tiles of a static size
    are smaller static tiles. A dynamic M (the batch) is split into whole
    tiles of `tile-m` rows, then the rows left over into at most one tile of
    `batch-tile-m` rows and single rows (a batch of 64: ten tiles of 6 and
    one of 4), so no scalar remainder is left;
    only the edge of a dynamic N stays `linalg.generic`. A product into a
    constant fill that nothing else reads (the zeros of a weight gradient)
    drops the fill: each register tile starts from the constant instead,
    saving a pass over the output in memory and the tiles' first read of it.
    A product's elementwise reader marked by `kiln-fuse-epilogues` (bias +
    relu) is fused into the M and N tile loops and applied to each tile's
    vectors after its K loop; the product itself is then never stored.
    A product with a transposed
    operand (the backward pass of a dense layer) first gets an explicit
    `linalg.transpose` of that operand: O(n^2) copying for an O(n^3) product
    that then uses the same kernel.
  }];
  let options = [
    Option<"tileM", "tile-m", "int64_t", "8", "rows of C per register tile">,
    Option<"tileN", "tile-n", "int64_t", "32",
           "columns of C per register tile (a multiple of the vector width)">,
    Option<"batchTileM", "batch-tile-m", "int64_t", "4",
           "rows of the register tile for the rows of a dynamic M (the batch) "
           "left over after tiles of tile-m, before single rows">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::affine::AffineDialect",
                           "::mlir::arith::ArithDialect"];
}

def ParallelizeLoops : Pass<"kiln-parallelize-loops"> {
  let summary = "Split big linalg ops into static chunks that run on threads";
  let description = [{
    Every linalg op on tensors whose loop nest has at least `min-work`
    iterations (a dynamic batch counted as 64) is tiled into an
    `scf.forall` of `threads` chunks along one parallel dimension: the one
    with the most iterations (the batch of a forward matmul, the 784 rows
    of a first-layer weight gradient, the rows of an optimizer update).
    Chunks are static and disjoint and no reduction is split, so every
    element is computed by the same operations in the same order whatever
    the thread count: parameters trained with 1 and N threads are
    bit-identical. Ops with several results (max pooling with its argmax)
    are left whole. An update in place (an input that is the output's
    tensor, as `w - lr * g` on the state) reads each chunk from the loop's
    shared output, so bufferization does not copy the whole tensor. A
    An elementwise reader marked by `kiln-fuse-epilogues` runs in its
    producer's chunks, after them (one parallel region for both). A
    constant fill that only starts such ops' outputs (a gradient's zeros)
    is not split on its own: each chunk fills its own slice, which the
    chunk's register tiles then start from without a pass over memory.
    After bufferization `scf-forall-to-parallel` and
    `convert-scf-to-openmp` turn each forall into an OpenMP parallel loop
    with a static schedule. `threads` below 2 leaves the IR unchanged.

    Before: `linalg.generic ins(%a : tensor<?x784xf32>, ...)`
    After:  `scf.forall (%t) in (2) shared_outs(...) { linalg.generic on
             tensor.extract_slice ...; tensor.parallel_insert_slice ... }`
  }];
  let options = [
    Option<"threads", "threads", "int64_t", "2",
           "chunks per op (the OpenMP team size)">,
    Option<"minWork", "min-work", "int64_t", "65536",
           "fewest loop iterations worth a parallel region">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::affine::AffineDialect",
                           "::mlir::arith::ArithDialect"];
}

def PadGuardedGathers : Pass<"kiln-pad-guarded-gathers"> {
  let summary = "Read a zero-padded copy instead of a bounds-guarded gather";
  let description = [{
    A `linalg.generic` with reduction loops whose body reads
    `select(guard, tensor.extract %t[i...], 0.0)`, with indices affine in
    `linalg.index` and a guard that only checks guarded indices against
    `%t`'s bounds (`i >= 0`, `i < dim`), as KilnToLinalg lowers the input
    gradient of a stride-1 convolution, reads instead a zero-padded copy of
    `%t` (`linalg.fill`, then a copying generic into a slice, padded by how far the
    indices reach past each bound over the loop ranges) through an indexing
    map. The guard arithmetic goes; the op becomes a plain convolution for
    `kiln-vectorize-convolutions`. Gathers with any other guard (strides
    above 1 check divisibility) or non-affine indices are left alone.

    Before: `%v = select(%in, tensor.extract %dy[%n, %ih + 2 - %kh, ...], 0)`
    After:  an input `%dy_padded` with map `(n, ih + 4 - kh, ...)`.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
}

def HoistRegisterTiles : Pass<"kiln-hoist-register-tiles"> {
  let summary = "Keep register tiles in registers across their reduction loops";
  let description = [{
    After `kiln-vectorize-contractions` and `kiln-vectorize-convolutions`,
    each K step of a register tile reads the output tile, accumulates into
    it and writes it back. This pass hoists that read and write out of the
    innermost loop around such a tile, then out of each enclosing loop in
    turn while the tile stays the same (a convolution's channel, kernel
    column and kernel row loops), so the tile becomes a vector carried
    through the loops (`iter_args`): upstream
    `loop-invariant-subset-hoisting`, applied only to the loops that hold
    vector transfers. Running the upstream pass on every loop of a LeNet
    training step spent 0.22 s (30% of the MLIR pipeline) proving subsets
    disjoint in loops that have nothing to hoist.

    Before: `scf.for %k ... iter_args(%c = %init) { %t = vector.transfer_read
    %c[...]; %u = vector.contract ... %t; %w = vector.transfer_write %u,
    %c[...]; scf.yield %w }`; after: the read before the loop, the vector
    carried as an iteration argument, the write after it.
  }];
}

def TransposeProducts : Pass<"kiln-transpose-products"> {
  let summary = "Compute A * B^T as (B * A^T)^T when B is the larger operand";
  let description = [{
    A matrix-product `linalg.generic` C[m, n] += A[m, k] * B[n, k] (the
    input gradient of a dense layer, dx = dy * W^T) would get an explicit
    transposed copy of B from `kiln-vectorize-contractions`. When B has
    more elements than A and C together (a dynamic size counts as 64),
    this pass computes the transposed product instead: C^T[n, m] +=
    B[n, k] * A[m, k] into a transposed copy of C's initial value, then
    transposes the result back, so only A and C, which are a batch high,
    are copied, not the weight.

    Before: `ins(%dy, %w : tensor<?x1024xf32>, tensor<3136x1024xf32>)`
    with maps (m, k), (n, k), (m, n).
    After: `linalg.transpose` of the init, a generic
    `ins(%w, %dy)` with maps (n, k), (m, k), (n, m), and a
    `linalg.transpose` of its result.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def VectorizeConvolutions : Pass<"kiln-vectorize-convolutions"> {
  let summary = "Direct convolutions as register-tiled vector loop nests";
  let description = [{
    A convolution `linalg.generic` (body `acc + a * b`; the output's last
    dimension, the lanes, is also the last index of one input and unused by
    the other, the image; the image is indexed by a sum of loop indices)
    becomes a loop nest whose tiles of `tile-m` rows by `tile-n` lanes stay
    in vector registers across the reduction: each reduction step
    broadcasts `tile-m` image elements and multiplies them with one vector
    of the other input (`vector.fma`). The rows are the longest static
    output dimension that the image uses and the other input does not
    (the output column of a forward convolution, the input channel or
    filter column of a filter gradient). Rows left over form one shorter
    tile, or, when only one or two are left (too few FMAs per vector load),
    two tiles sharing them with the last full one (14 rows: 6 + 4 + 4);
    lanes left over one masked tile (transfers without `in_bounds`)
    a whole number of vectors (`tile-n` / 2 lanes, the tile being two
    vectors wide) across, since e.g. 10 lanes would straddle registers
    unevenly, and `tile-m` - 1 rows high, leaving a register for the mask. A reduction over the image's
    leading index (the batch of a filter gradient) becomes the outermost
    loop when other reductions remain inside the tiles, so one image's
    data stays in cache for all tiles. No im2col buffer is built. Plain
    matrix products narrower than `tile-n` (a 10-class output layer, which
    `kiln-vectorize-contractions` would leave scalar) take the same path;
    a dynamic row dimension (the batch) is used only when no static one
    qualifies, its leftover rows as 1-row tiles. An output that starts as
    a constant fill (a layer's zeros, an input gradient's) is not read:
    each tile's vectors start from the constant, unless a reduction runs
    outside the tiles (a filter gradient's batch), which visits each tile
    once per image. Without such a reduction, an elementwise reader marked
    by `kiln-fuse-epilogues` (a layer's bias + relu) is applied to each
    row's vector before it is written, to the reader's output: the
    convolution's own output is never stored.

    Before: the generalized `linalg.conv_2d_nhwc_hwcf`
      `out[n, oh, ow, co] += x[n, oh + kh, ow + kw, ci] * w[kh, kw, ci, co]`.
    After: `scf.for` over n and oh, over ow in steps of `tile-m` and co in
    steps of `tile-n`, then kh, kw and ci carrying `tile-m` vectors of
    `tile-n` lanes; `vector.transfer_read`/`transfer_write` of the output
    tile around them.
  }];
  let options = [
    Option<"tileM", "tile-m", "int64_t", "6", "rows of the register tile">,
    Option<"tileN", "tile-n", "int64_t", "16",
           "lanes of the register tile (a multiple of the vector width)">,
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::affine::AffineDialect",
                           "::mlir::arith::ArithDialect"];
}

def StridedCopiesToLoops : Pass<"kiln-strided-copies-to-loops"> {
  let summary = "Copy strided memref views with loops, not memrefCopy";
  let description = [{
    After bufferization, a `memref.copy` whose source or target is not a
    contiguous buffer (a chunk's slice written back by a parallel loop, a
    window of a padded copy) would lower to a call of `memrefCopy` from
    MLIR's C runner utilities, which model objects do not link. Such a copy
    becomes a `linalg.copy`, which `convert-linalg-to-loops` lowers to loops
    in the object; contiguous copies stay `memref.copy` (a memcpy).

    Before: `memref.copy %a, %b : memref<4x8xf32, strided<[16, 1]>> to
    memref<4x8xf32>`
    After:  `linalg.copy ins(%a : ...) outs(%b : ...)`
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def PlanArena : Pass<"kiln-plan-arena", "::mlir::ModuleOp"> {
  let summary = "Place each impl's temporaries in one workspace, reusing bytes";
  let description = [{
    Runs after one-shot-bufferize, before the buffer deallocation pipeline.
    In every impl function (one with `kiln.c_roles`) each `memref.alloc`
    of the entry block whose size is affine in the batch N (identity
    layout, at most one dynamic dimension, read from an argument's batch
    dimension) gets a live range: from the alloc to the last entry-block op
    that uses it or any alias (BufferViewFlowAnalysis). Buffers are placed
    largest first at the lowest offset, affine in N, that keeps them apart
    from every buffer live at the same time for all N, so buffers whose
    lives do not overlap share bytes. Sizes and offsets are 64-byte aligned.
    Each placed alloc becomes a `memref.view` of a new last argument
    `memref<?xi8>` (the workspace); the impl gets
    `kiln.workspace = array<i64: perExample, fixed>` (its size in bytes,
    perExample * N + fixed) and the module the largest of them, which
    kiln-emit-c-interface and the manifest use. An alloc in the body of a
    parallel loop of T static chunks (`scf.forall (%i) in (T)`, from
    kiln-parallelize-loops) gets T slots, chunk i using slot i; its
    dynamic dimension may also be the chunk's share of the batch
    (`min(ceildiv(N, T), ...)`), sized as ceildiv(N, T) rows. Allocs in
    other loops, with other sizes, or that escape are left alone.

    Before: `%t = memref.alloc(%n) : memref<?x256xf32>`
    After:  `%t = memref.view %workspace[%off][%n] : memref<?xi8> to
             memref<?x256xf32>`
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect"];
}

#endif // KILN_PASSES
