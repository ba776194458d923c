# pipewright_add_plugin(<plugin.name> SOURCES <files...> [LIBRARIES <libs...>])
#
# Builds one plugin as a MODULE library named exactly <plugin.name>.so, with
# hidden visibility (only the negotiate entry is exported), against
# pipewright::sdk (plugin.h). A C++ plugin adds LIBRARIES pipewright::sdk_cxx
# (plugin.hpp, C++20) or pipewright::sdk_json (plugin_json.hpp, Boost.JSON).
# In-tree plugins use it; the installed package ships it for out-of-tree
# plugins.
function(pipewright_add_plugin name)
  cmake_parse_arguments(ARG "" "OUTPUT_DIRECTORY;INSTALL_DESTINATION" "SOURCES;LIBRARIES" ${ARGN})
  string(REPLACE "." "_" target "pwplugin_${name}")
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE pipewright::sdk ${ARG_LIBRARIES})
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    OUTPUT_NAME "${name}"
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(ARG_OUTPUT_DIRECTORY)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${ARG_OUTPUT_DIRECTORY}")
  elseif(DEFINED PIPEWRIGHT_PLUGIN_OUTPUT_DIR)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${PIPEWRIGHT_PLUGIN_OUTPUT_DIR}")
  endif()
  if(ARG_INSTALL_DESTINATION)
    install(TARGETS ${target} LIBRARY DESTINATION "${ARG_INSTALL_DESTINATION}")
  elseif(DEFINED PIPEWRIGHT_PLUGIN_INSTALL_DIR AND PIPEWRIGHT_INSTALL)
    install(TARGETS ${target} LIBRARY DESTINATION "${PIPEWRIGHT_PLUGIN_INSTALL_DIR}")
  endif()
  set(PIPEWRIGHT_LAST_PLUGIN_TARGET ${target} PARENT_SCOPE)
endfunction()
