# %post ($1: 1 install, 2 upgrade). A first installation starts nothing (the
# configurations are examples until edited); an upgrade restarts only the
# services whose program or unit file changed.
if [ "$1" -eq 1 ]; then first=yes; else first=no; fi
/usr/libexec/tandem/tandem-maint configure "$first"
if [ -d /run/systemd/system ]; then
  if [ "$1" -ge 2 ]; then
    /usr/libexec/tandem/tandem-maint restart-changed
  else
    systemctl daemon-reload >/dev/null 2>&1 || :
  fi
fi
exit 0
