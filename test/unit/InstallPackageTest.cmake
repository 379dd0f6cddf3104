# Installs this build of Kiln into a fresh prefix, then configures, builds and
# runs samples/package against it: a separate project that only sees the
# installed kilnc, libkilnrt, headers and KilnConfig.cmake.
#   cmake -DBUILD_DIR=... -DSOURCE_DIR=... -DC_COMPILER=... -DCXX_COMPILER=... -P
set(work ${BUILD_DIR}/install-package-test)
file(REMOVE_RECURSE ${work})

function(run step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE status OUTPUT_VARIABLE out
                  ERROR_VARIABLE out)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "${step} failed (${status}):\n${out}")
  endif()
  set(output "${out}" PARENT_SCOPE)
endfunction()

run("install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${work}/prefix)
foreach(file bin/kilnc bin/kiln include/kiln/train.h include/kiln/checkpoint.h)
  if(NOT EXISTS ${work}/prefix/${file})
    message(FATAL_ERROR "the installation lacks ${file}")
  endif()
endforeach()
file(GLOB_RECURSE config ${work}/prefix/*/KilnConfig.cmake)
file(GLOB_RECURSE runtime ${work}/prefix/*/libkilnrt.so)
if(NOT config OR NOT runtime)
  message(FATAL_ERROR "the installation lacks KilnConfig.cmake or libkilnrt.so")
endif()

run("configure" ${CMAKE_COMMAND} -S ${SOURCE_DIR}/samples/package -B ${work}/build
    -G Ninja -DCMAKE_PREFIX_PATH=${work}/prefix -DCMAKE_C_COMPILER=${C_COMPILER}
    -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_BUILD_TYPE=Release)
run("build" ${CMAKE_COMMAND} --build ${work}/build)
if(NOT EXISTS ${work}/build/c_train)
  message(FATAL_ERROR "c_train was not built")
endif()
run("cpp_checkpoint" ${work}/build/cpp_checkpoint ${work}/checkpoints)
if(NOT output MATCHES "restored from .*ckpt-0000000032.ckpt: 0\\.[0-9]+  same")
  message(FATAL_ERROR "unexpected cpp_checkpoint output: ${output}")
endif()
message(STATUS "${output}")
# The model built with kiln_add_model(... THREADS 2) runs on OpenMP threads.
run("cpp_checkpoint_threads" ${work}/build/cpp_checkpoint_threads ${work}/checkpoints_threads)
if(NOT output MATCHES "restored from .*ckpt-0000000032.ckpt: 0\\.[0-9]+  same")
  message(FATAL_ERROR "unexpected cpp_checkpoint_threads output: ${output}")
endif()
message(STATUS "${output}")
file(REMOVE_RECURSE ${work})
