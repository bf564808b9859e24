# The mechanical rename of a LibTorch program into a reel program (run with cmake -P):
#   <torch/torch.h> -> <reel/reel.h>, torch:: -> reel::, TORCH_MODULE -> REEL_MODULE, namespace torch -> namespace reel
# Inputs (-D): INPUT (the LibTorch source), OUTPUT (the renamed copy to write).
cmake_minimum_required(VERSION 3.25)
foreach(required INPUT OUTPUT)
  if(NOT DEFINED ${required})
    message(FATAL_ERROR "rename.cmake: -D${required}=... is required")
  endif()
endforeach()
file(READ ${INPUT} text)
string(REPLACE "<torch/torch.h>" "<reel/reel.h>" text "${text}")
string(REPLACE "torch::" "reel::" text "${text}")
string(REPLACE "TORCH_MODULE" "REEL_MODULE" text "${text}")
string(REGEX REPLACE "namespace torch([^_a-zA-Z0-9])" "namespace reel\\1" text "${text}")
file(WRITE ${OUTPUT} "${text}")
