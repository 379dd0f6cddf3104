# kiln_add_model(<target> MODEL <file.kiln> [TARGET cpu|cuda] [NAME <name>]
#                [THREADS <n>])
#
# Compiles a .kiln model at build time with kilnc, the way tf_library runs
# tfcompile: <target> becomes a static library holding the object, and its
# users get the generated header <name>.h (name: the model file's stem unless
# NAME is given) on their include path and libkilnrt on their link line.
#
# KilnConfig.cmake sets KILN_KILNC_COMMAND (the kilnc to run) and
# KILN_RUNTIME_TARGET (Kiln::kilnrt); inside Kiln's own build they are unset
# and the kilnc and kilnrt targets are used.
#
# THREADS n > 1 compiles the model with `kilnc --threads n` (its big loops
# run on n OpenMP threads) and links users against the LLVM OpenMP runtime
# KILN_OPENMP_LIBRARY (found when Kiln was built). The default is 1: a serial
# object that needs no OpenMP runtime.
function(kiln_add_model target)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "MODEL;TARGET;NAME;THREADS" "")
  if(NOT DEFINED KILN_KILNC_COMMAND)
    set(KILN_KILNC_COMMAND $<TARGET_FILE:kilnc>)
    set(KILN_KILNC_DEPENDS kilnc)
    set(KILN_RUNTIME_TARGET kilnrt)
  endif()
  if(NOT ARG_MODEL)
    message(FATAL_ERROR "kiln_add_model(${target}): MODEL <file.kiln> is required")
  endif()
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "kiln_add_model(${target}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_TARGET)
    set(ARG_TARGET cpu)
  endif()
  if(NOT ARG_TARGET MATCHES "^(cpu|cuda)$")
    message(FATAL_ERROR "kiln_add_model(${target}): TARGET must be cpu or cuda, not ${ARG_TARGET}")
  endif()
  get_filename_component(model "${ARG_MODEL}" ABSOLUTE)
  if(NOT ARG_NAME)
    get_filename_component(ARG_NAME "${model}" NAME_WE)
  endif()

  # cpu is kilnc's default; only cuda needs saying.
  set(target_flag)
  if(ARG_TARGET STREQUAL "cuda")
    set(target_flag --target=cuda)
  endif()
  set(threads_flag)
  if(ARG_THREADS AND ARG_THREADS GREATER 1)
    if(NOT KILN_OPENMP_LIBRARY)
      message(FATAL_ERROR "kiln_add_model(${target}): THREADS ${ARG_THREADS} needs the LLVM OpenMP runtime (libomp); set KILN_OPENMP_LIBRARY")
    endif()
    set(threads_flag --threads=${ARG_THREADS})
  endif()
  set(dir ${CMAKE_CURRENT_BINARY_DIR}/${target}_kiln)
  set(object ${dir}/${ARG_NAME}.o)
  set(header ${dir}/${ARG_NAME}.h)
  add_custom_command(
    OUTPUT ${object} ${header}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${dir}
    COMMAND ${KILN_KILNC_COMMAND} ${model} ${target_flag} ${threads_flag} -o ${object}
            --header ${header}
    DEPENDS ${model} ${KILN_KILNC_DEPENDS}
    COMMENT "Compiling Kiln model ${ARG_MODEL} (${ARG_TARGET})"
    VERBATIM)
  set_source_files_properties(${object} PROPERTIES EXTERNAL_OBJECT TRUE GENERATED TRUE)
  add_library(${target} STATIC ${object} ${header})
  set_target_properties(${target} PROPERTIES LINKER_LANGUAGE C)
  target_include_directories(${target} INTERFACE ${dir})
  target_link_libraries(${target} INTERFACE ${KILN_RUNTIME_TARGET} m)
  if(threads_flag)
    target_link_libraries(${target} INTERFACE ${KILN_OPENMP_LIBRARY})
  endif()
endfunction()
