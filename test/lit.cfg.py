# lit configuration of the Kiln test suites. The tools are found on PATH:
# this build's bin/ first (kilnc, kiln-opt, ...), then LLVM's (FileCheck, not,
# split-file).
import os

import lit.formats

config.name = "Kiln"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".kiln", ".mlir", ".test"]

if not hasattr(config, "kiln_obj_root"):
    lit_config.fatal(
        "run lit on the build tree (e.g. lit build/test), which holds the "
        "generated lit.site.cfg.py"
    )

config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.kiln_obj_root, "test")

# unit/ and numerics/ hold GoogleTest sources (numerics/ also its models); Inputs/ directories hold data for RUN lines.
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "unit", "numerics", "Inputs"]

config.environment["PATH"] = os.pathsep.join(
    [config.kiln_tools_dir, config.llvm_tools_dir, config.environment["PATH"]]
)
