# vm-batch: c
# requires-tool: runqlat
# runqlat on the stock kernel while pipewait makes ROUNDS parent/child round trips (each one
# wakes the reader and the echoer).
ROUNDS=2000
echo "rounds=$ROUNDS" > /results/params
trace_while runqlat 1 "pipewait $ROUNDS" bpfscope runqlat -j -d 90
