# The git commit is read at build time (not configure time) so `hwlab version` never goes stale.
set(HWLAB_VERSION_CPP ${CMAKE_BINARY_DIR}/generated/version.cpp)
add_custom_target(hwlab_version_stamp
  COMMAND ${CMAKE_COMMAND}
          -DSOURCE_DIR=${PROJECT_SOURCE_DIR}
          -DOUTPUT=${HWLAB_VERSION_CPP}
          -DVERSION=${PROJECT_VERSION}
          -P ${PROJECT_SOURCE_DIR}/cmake/WriteVersion.cmake
  BYPRODUCTS ${HWLAB_VERSION_CPP}
  COMMENT "Stamping git commit into version.cpp")
