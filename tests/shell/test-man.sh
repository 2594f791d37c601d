# The source of minnow(1) (shell/minnow.pod with the generated command
# list spliced in) is valid POD without warnings, and lists the commands.
# TAP.
pod="$MINNOW_BUILDDIR/shell/minnow-full.pod"
echo "1..3"
if ! command -v podchecker > /dev/null 2>&1; then
  echo "ok 1 # SKIP podchecker is not installed"
else
  out=$(podchecker -warnings "$pod" 2>&1)
  if [ $? -eq 0 ] && ! printf '%s\n' "$out" | grep -q WARNING; then
    echo "ok 1 - shell/minnow-full.pod passes podchecker"
  else
    echo "not ok 1 - shell/minnow-full.pod passes podchecker"
    printf '%s\n' "$out" | sed 's/^/# /'
  fi
fi
if grep -q '^=head2 part-disk$' "$pod" && grep -q '^ part-disk device parttype$' "$pod"; then
  echo "ok 2 - the man page documents part-disk with its synopsis"
else
  echo "not ok 2 - the man page documents part-disk with its synopsis"
fi
# The bash completion file (installed to bash-completion's directory)
# completes command names in both spellings and options.
comp="$MINNOW_BUILDDIR/shell/minnow.bash"
got=$(bash -c '. "$1"; COMP_WORDS=(minnow part-di); COMP_CWORD=1; _minnow
               echo "${COMPREPLY[*]}"
               COMP_WORDS=(minnow --r); COMP_CWORD=1; _minnow
               echo "${COMPREPLY[*]}"' sh "$comp" 2>&1)
want=$(printf 'part-disk\n--rw --remote')
if [ "$got" = "$want" ]; then
  echo "ok 3 - bash completion of a command and of options"
else
  echo "not ok 3 - bash completion of a command and of options"
  echo "# expected: $want"; printf '%s\n' "$got" | sed 's/^/# got: /'
fi
