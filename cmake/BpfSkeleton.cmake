# Compiles one BPF C program with clang and turns it into a libbpf skeleton
# header with bpftool. The result is appended to BPF_SKELETON_HEADERS.
find_program(BPF_CLANG NAMES clang-14 clang REQUIRED)
find_program(BPFTOOL NAMES bpftool PATHS /usr/sbin /usr/local/sbin REQUIRED)

set(BPF_SKELETON_DIR ${CMAKE_BINARY_DIR}/bpf)
file(MAKE_DIRECTORY ${BPF_SKELETON_DIR})
set(BPF_SKELETON_HEADERS "")

function(bpf_skeleton source)
  get_filename_component(file_name ${source} NAME)
  string(REPLACE ".bpf.c" "" name ${file_name})
  set(object ${BPF_SKELETON_DIR}/${name}.bpf.o)
  set(skeleton ${BPF_SKELETON_DIR}/${name}.skel.h)
  add_custom_command(
    OUTPUT ${object}
    COMMAND ${BPF_CLANG} -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror
            -Wno-unused-function
            -I${CMAKE_SOURCE_DIR}/vmlinux/x86 -I${CMAKE_SOURCE_DIR}/bpf
            -MD -MF ${object}.d -c ${source} -o ${object}
    DEPFILE ${object}.d
    DEPENDS ${source}
    COMMENT "BPF ${name}.bpf.c"
    VERBATIM)
  add_custom_command(
    OUTPUT ${skeleton}
    COMMAND ${BPFTOOL} gen skeleton ${object} name ${name}_bpf > ${skeleton}
    DEPENDS ${object}
    COMMENT "skeleton ${name}.skel.h"
    VERBATIM)
  set(BPF_SKELETON_HEADERS ${BPF_SKELETON_HEADERS} ${skeleton} PARENT_SCOPE)
endfunction()
