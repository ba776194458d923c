# Install rules and the exported CMake package (find_package(pipewright CONFIG)).
include(CMakePackageConfigHelpers)

install(TARGETS pipewright_sdk pipewright_sdk_cxx pipewright_sdk_json EXPORT pipewright-targets)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/sdk/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT pipewright-targets NAMESPACE pipewright::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/pipewright)
export(EXPORT pipewright-targets NAMESPACE pipewright::
       FILE ${PROJECT_BINARY_DIR}/pipewright-targets.cmake)

set(PIPEWRIGHT_BOOST_VERSION ${Boost_VERSION_MAJOR}.${Boost_VERSION_MINOR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/pipewright-config.cmake.in
  ${PROJECT_BINARY_DIR}/pipewright-config.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/pipewright
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR PIPEWRIGHT_PLUGIN_INSTALL_DIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/pipewright-config-version.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/pipewright-config.cmake
  ${PROJECT_BINARY_DIR}/pipewright-config-version.cmake
  ${PROJECT_SOURCE_DIR}/cmake/PipewrightPlugin.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/pipewright)
configure_file(${PROJECT_SOURCE_DIR}/cmake/PipewrightPlugin.cmake
  ${PROJECT_BINARY_DIR}/PipewrightPlugin.cmake COPYONLY)

# Ready pipelines and the files they reference.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/conf/ DESTINATION ${PIPEWRIGHT_SHARE_INSTALL_DIR}/conf
        FILES_MATCHING PATTERN "*.json" PATTERN "*.jsonc")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/worker/ DESTINATION ${PIPEWRIGHT_SHARE_INSTALL_DIR}/worker
        FILES_MATCHING PATTERN "*.js")
# Something for deploy-tenant to deploy: share/pipewright/examples/site, and
# the tenants example of deploy-tenants in the trees that have it.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/examples/site DESTINATION ${PIPEWRIGHT_SHARE_INSTALL_DIR}/examples)
if(EXISTS ${PROJECT_SOURCE_DIR}/examples/tenants)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/examples/tenants DESTINATION ${PIPEWRIGHT_SHARE_INSTALL_DIR}/examples)
endif()
