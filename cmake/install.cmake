# What `cmake --install` puts where, for a self-built install (the default
# prefix, /usr/local) and for the Debian package (scripts/package configures
# with CMAKE_INSTALL_PREFIX=/usr). Every install() rule of the project is here.
#
# Paths are fixed when the project is configured: the systemd template and the
# init script name the installed binary, so set CMAKE_INSTALL_PREFIX then;
# `cmake --install --prefix` later moves the binary but not what names it.
include(GNUInstallDirs)

set(UNITRUN_INSTALLED_BINARY "${CMAKE_INSTALL_FULL_BINDIR}/unitrun")

# Where systemd and the shells look, by prefix. Debian 12's packages put units
# in /lib/systemd/system (lintian warns elsewhere) and zsh functions in
# vendor-completions; systemd and Debian's zsh also read
# /usr/local/lib/systemd/system and /usr/local/share/zsh/site-functions, so a
# self-built install is found too. -DUNITRUN_SYSTEMD_UNIT_DIR=...,
# -DUNITRUN_BASH_COMPLETION_DIR=... and -DUNITRUN_ZSH_COMPLETION_DIR=... choose
# others; unset, they follow the prefix of each configure.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(_unitrun_systemd_dir "/lib/systemd/system")
  set(_unitrun_zsh_dir "${CMAKE_INSTALL_FULL_DATADIR}/zsh/vendor-completions")
else()
  set(_unitrun_systemd_dir "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
  set(_unitrun_zsh_dir "${CMAKE_INSTALL_FULL_DATADIR}/zsh/site-functions")
endif()
if(NOT UNITRUN_SYSTEMD_UNIT_DIR)
  set(UNITRUN_SYSTEMD_UNIT_DIR "${_unitrun_systemd_dir}")
endif()
if(NOT UNITRUN_BASH_COMPLETION_DIR)
  set(UNITRUN_BASH_COMPLETION_DIR "${CMAKE_INSTALL_FULL_DATADIR}/bash-completion/completions")
endif()
if(NOT UNITRUN_ZSH_COMPLETION_DIR)
  set(UNITRUN_ZSH_COMPLETION_DIR "${_unitrun_zsh_dir}")
endif()

# The contrib files that name the binary, written into the build tree at the
# same relative paths (tests/e2e uses the configured copies).
foreach(_file systemd/unitrun@.service sysv/unitrun sysv/unitrun-boot openrc/unitrun runit/run default/unitrun
    logrotate/unitrun)
  configure_file(${PROJECT_SOURCE_DIR}/contrib/${_file}.in ${PROJECT_BINARY_DIR}/contrib/${_file} @ONLY)
endforeach()

install(TARGETS unitrun RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES docs/unitrun.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES docs/unitrun.unit.5 DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
install(FILES ${PROJECT_BINARY_DIR}/contrib/systemd/unitrun@.service DESTINATION ${UNITRUN_SYSTEMD_UNIT_DIR})
# /etc for the /usr prefix, ${prefix}/etc otherwise (GNUInstallDirs); give
# -DCMAKE_INSTALL_SYSCONFDIR=/etc to a /usr/local build to put these in place.
install(PROGRAMS ${PROJECT_BINARY_DIR}/contrib/sysv/unitrun DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/init.d)
install(FILES ${PROJECT_BINARY_DIR}/contrib/default/unitrun DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/default)
install(FILES ${PROJECT_BINARY_DIR}/contrib/logrotate/unitrun DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/logrotate.d)
install(FILES contrib/completion/unitrun.bash DESTINATION ${UNITRUN_BASH_COMPLETION_DIR} RENAME unitrun)
install(FILES contrib/completion/_unitrun DESTINATION ${UNITRUN_ZSH_COMPLETION_DIR})
# The user's documentation; README.md links docs/NAME.md, so the layout stays.
# The boot hand-overs for other inits (docs/dependencies.md): examples to copy
# into place and make executable, not active files, since installing an init
# script or service enables nothing and on a systemd host would only add a
# generated unit.
install(FILES ${PROJECT_BINARY_DIR}/contrib/sysv/unitrun-boot DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples/sysv)
install(FILES ${PROJECT_BINARY_DIR}/contrib/openrc/unitrun DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples/openrc)
install(FILES ${PROJECT_BINARY_DIR}/contrib/runit/run DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples/runit)
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES docs/unit-format.md docs/systemd.md docs/sysvinit.md docs/coming-from.md docs/packaging.md
  DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs)
