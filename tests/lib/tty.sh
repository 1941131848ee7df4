# Drive a program under a real terminal with tmux, for the shell's
# interactive behaviours. Source tests/lib/check.sh first, then this file.
#
#   tty_start CMD       run CMD (a shell command line) in a 120x40 terminal;
#                       when it ends the pane shows "[exit N]"
#   tty_type TEXT       type TEXT literally (no Enter)
#   tty_keys KEY...     send keys by name: Enter Tab C-c C-d ...
#   tty_wait PATTERN    wait (up to 5 s, 30 s under asan) until the screen matches the grep -E
#                       PATTERN; 1 on timeout. Lines have no trailing spaces
#   tty_screen [-e]     the screen's text (-e keeps colour escapes)
#   tty_record FILE     append everything the program writes to FILE (to see
#                       what was drawn and erased, like progress)
#   tty_stop            end the terminal
# Each test file gets its own tmux server (socket under $TESTTMP).

if ! command -v tmux >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux >/dev/null 2>&1
fi
TTY_SOCK="$TESTTMP/tmux-$$.sock"

tty_start() {
  tty_stop
  tmux -S "$TTY_SOCK" -f /dev/null new-session -d -s t -x 120 -y 40 \
    "$1; echo \"[exit \$?]\"; sleep 30"
}

tty_type() {
  local text=$1
  # tmux reads a trailing ';' as a command separator: send it escaped
  if [ "${text%;}" != "$text" ]; then
    [ -n "${text%;}" ] && tmux -S "$TTY_SOCK" send-keys -t t -l -- "${text%;}"
    tmux -S "$TTY_SOCK" send-keys -t t '\;'
  else
    tmux -S "$TTY_SOCK" send-keys -t t -l -- "$text"
  fi
}

tty_keys() {
  tmux -S "$TTY_SOCK" send-keys -t t "$@"
}

tty_screen() {
  tmux -S "$TTY_SOCK" capture-pane -p ${1:+"$1"} -t t -S -200 2>/dev/null
}

# Up to 5 s, or 30 s in the sanitizer build or on a loaded machine
# (TTY_WAIT_STEPS of 0.05 s).
TTY_WAIT_STEPS=${TTY_WAIT_STEPS:-$([ -n "${SANITIZED:-}" ] && echo 600 || echo 100)}
tty_wait() {
  local i
  for i in $(seq "$TTY_WAIT_STEPS"); do
    tty_screen | grep -Eq -- "$1" && return 0
    sleep 0.05
  done
  return 1
}

tty_record() {
  tmux -S "$TTY_SOCK" pipe-pane -t t -o "cat >> '$1'"
}

tty_stop() {
  tmux -S "$TTY_SOCK" kill-server 2>/dev/null
  local i
  for i in $(seq 40); do
    tmux -S "$TTY_SOCK" has-session 2>/dev/null || break
    sleep 0.05
  done
  rm -f "$TTY_SOCK"
}
