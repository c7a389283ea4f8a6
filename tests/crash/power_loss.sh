#!/usr/bin/env bash
# power_loss.sh HARNESS FS_SHUTDOWN - P1 under a simulated power loss.
#
# A scratch ext4 image on a loop device (in a new directory under /tmp) is
# mounted; a writer (crash_harness pl-write) issues numbers from 4 threads
# into a journal on it, recording the highest number each thread got back
# in a file outside that filesystem; at a random moment fs_shutdown stops
# the filesystem with EXT4_IOC_SHUTDOWN and NOLOGFLUSH (nothing more reaches
# the disk: what was not durable is lost, as at a power cut), the writer is
# killed, the filesystem unmounted and mounted again, and crash_harness
# pl-check reopens the journal: its next number must be above every number
# returned before the shutdown, and the gap at most 2W.  The runs vary the
# mount options (NUMSEQ_POWERLOSS_MOUNTS, default "ordered nodelalloc
# data=writeback").
#
# Needs root, losetup, mkfs.ext4 and a free loop device; otherwise it says
# why and exits 77 (CTest: skipped).  The loop device, the mount and the
# directory are removed on every exit (trap).
# Knobs: NUMSEQ_POWERLOSS_RUNS (default 12), NUMSEQ_POWERLOSS_WINDOW (64),
# NUMSEQ_SEED (the random delays; printed).
set -uo pipefail

harness=${1:?usage: power_loss.sh HARNESS FS_SHUTDOWN}
shutdown=${2:?usage: power_loss.sh HARNESS FS_SHUTDOWN}
runs=${NUMSEQ_POWERLOSS_RUNS:-12}
W=${NUMSEQ_POWERLOSS_WINDOW:-64}
seed=${NUMSEQ_SEED:-$(( $(date +%s) % 32768 ))}
RANDOM=$seed

skip() { echo "power_loss: SKIPPED: $*"; exit 77; }
die() { echo "power_loss: FAIL: $*"; exit 1; }

[[ $(id -u) -eq 0 ]] || skip "needs root (running as uid $(id -u))"
for c in losetup mkfs.ext4 mount umount mountpoint; do
	command -v "$c" >/dev/null 2>&1 || skip "$c not found"
done
[[ -x $harness && -x $shutdown ]] || die "not executable: $harness / $shutdown"

work=$(mktemp -d /tmp/numseq-powerloss.XXXXXX) || die "mktemp"
img=$work/ext4.img
mnt=$work/mnt
loop=""
wpid=""
cleanup() {
	[[ -n $wpid ]] && kill -9 "$wpid" 2>/dev/null && wait "$wpid" 2>/dev/null
	mountpoint -q "$mnt" 2>/dev/null && { umount "$mnt" 2>/dev/null || umount -l "$mnt"; }
	[[ -n $loop ]] && losetup -d "$loop" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

mkdir "$mnt"
truncate -s 64M "$img" || die "truncate"
mkfs.ext4 -q -F "$img" >/dev/null 2>&1 || skip "mkfs.ext4 failed on $img"
loop=$(losetup -f --show "$img" 2>/dev/null) || { loop=""; skip "losetup: no loop device"; }
echo "power_loss: seed $seed (replay: NUMSEQ_SEED=$seed), runs $runs, W $W, $loop on $mnt"
# Mount options the runs rotate through ("ordered" = the defaults).
read -r -a opts <<< "${NUMSEQ_POWERLOSS_MOUNTS:-ordered nodelalloc data=writeback}"
mo=${opts[0]}
[[ $mo == ordered ]] && mo=""
mount -t ext4 ${mo:+-o "$mo"} "$loop" "$mnt" 2>/dev/null || skip "cannot mount ext4 from $loop"
journal=$mnt/seq.nsj
violations=0
failstops=0
cur=${opts[0]}
for ((i = 0; i < runs; i++)); do
	rec=$work/rec.$i
	"$harness" pl-write "$journal" "$W" "$rec" >"$work/writer.log" 2>&1 &
	wpid=$!
	for ((t = 0; t < 1000; t++)); do
		[[ -e $rec.ready ]] && break
		kill -0 "$wpid" 2>/dev/null || { cat "$work/writer.log"; die "run $i: the writer died before opening"; }
		sleep 0.01
	done
	[[ -e $rec.ready ]] || die "run $i: the writer did not open the journal in 10 s"
	sleep "0.0$(printf '%02d' $((RANDOM % 60)))"
	# The record as it is before the ioctl starts: every number in it came
	# from a reservation whose fdatasync returned before the power loss.
	# Numbers returned while the ioctl runs are not held against P1: the
	# kernel can let an fdatasync racing the shutdown return 0 without
	# making its data durable (a plain pwrite+fdatasync appender loses its
	# last acknowledged append that way here, in every mount mode and with
	# LOGFLUSH too), which a real power cut never does.
	cp "$rec" "$rec.before" || die "run $i: copy of the record"
	if ! "$shutdown" "$mnt" nologflush; then
		[[ $i -eq 0 ]] && skip "the filesystem shutdown ioctl is not available here"
		die "run $i: fs_shutdown failed"
	fi
	sleep 0.05 # let the writer meet the dead filesystem (fail-stop)
	kill -9 "$wpid" 2>/dev/null
	wait "$wpid" 2>/dev/null
	wpid=""
	grep -q "nextval:" "$work/writer.log" && failstops=$((failstops + 1))
	umount "$mnt" || die "run $i: umount after the shutdown"
	o=${opts[$(( (i + 1) % ${#opts[@]} ))]}
	mo=$o
	[[ $o == ordered ]] && mo=""
	mount -t ext4 ${mo:+-o "$mo"} "$loop" "$mnt" || die "run $i: remount"
	echo -n "power_loss: run $i (writer on $cur): "
	cur=$o
	"$harness" pl-check "$journal" "$W" "$rec.before" "$rec" | tee -a "$work/check.log"
	rc=${PIPESTATUS[0]}
	if [[ $rc -eq 1 ]]; then
		violations=$((violations + 1))
	elif [[ $rc -ne 0 ]]; then
		die "run $i: pl-check could not run (status $rc)"
	fi
done
racing=$(grep -c "racing ack" "$work/check.log" || true)
echo "powerloss: runs=$runs violations=$violations eio_failstop_observed=$failstops racing_acks_lost=$racing W=$W"
[[ $violations -eq 0 ]] || die "$violations runs broke P1/P2 after a power loss"
echo "power_loss: PASS"
