# compare_plots.gp - the plots of docs/compare.md, from the data files
# numseq_compare --plot-data writes.  bench/compare runs it:
#   gnuplot -e "data='DIR'; out='DIR'; tp=1; lat=1; sweep=1" bench/compare_plots.gp
# (tp, lat, sweep: 0 when that data file is empty: its plot is skipped)
# throughput.dat: one block per contender, first line its title, then
#                 "threads median min max" (numbers per second)
# latency.dat:    "name p50 p90 p99 p99.9 max" (ns per call)
# sweep.dat:      one block per sweep, "x ns_med ns_min ns_max ops_med"

set terminal pngcairo size 1280,760 font "DejaVu Sans,10" noenhanced
set grid ytics mytics lc rgb "#dddddd"
set border lc rgb "#555555"
# 16 distinguishable colours (the default cycle has 8)
colors = "#1f77b4 #ff7f0e #2ca02c #d62728 #9467bd #8c564b #e377c2 #7f7f7f #bcbd22 #17becf #000080 #808000 #00a000 #ff00ff #a0522d #000000"
do for [k=1:16] { set linetype k lc rgb word(colors, k) }

# ---- throughput against threads --------------------------------------------
if (tp) {
set terminal pngcairo size 1500,800 font "DejaVu Sans,10" noenhanced
set rmargin at screen 0.62
set output out.'/throughput.png'
set title "Numbers handed out per second, all threads together (median, bars: min-max)"
set logscale y 10
set logscale x 2
set format y "%.0s%c"
set xrange [0.8:10]
set xtics ("1" 1, "2" 2, "4" 4, "8" 8)
set xlabel "threads (in process) or connections (servers); the machine has 2 CPUs"
set ylabel "numbers per second"
set key at screen 0.63, screen 0.92 left top vertical Left reverse spacing 1.1
stats data.'/throughput.dat' using 1 nooutput
nblocks = STATS_blocks
plot for [i=0:nblocks-1] data.'/throughput.dat' index i using 1:2:3:4 \
	with yerrorlines lw 1.5 pt (i % 13) + 1 ps 1.2 title columnheader(1)
}

# ---- latency percentiles ---------------------------------------------------
if (lat) {
reset
set terminal pngcairo size 1280,760 font "DejaVu Sans,10" noenhanced
set output out.'/latency.png'
set title "Time of one call, 2 threads (clock_gettime before and after each call)"
set grid ytics mytics lc rgb "#dddddd"
set logscale y 10
set format y "%.0s%cs"
set ylabel "time per call"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set xtics rotate by -35 left nomirror
set yrange [1e-9:*]
set key top left
# the data is in ns; the axis in seconds
plot data.'/latency.dat' using ($2*1e-9):xtic(1) title "p50", \
	'' using ($4*1e-9) title "p99", \
	'' using ($5*1e-9) title "p99.9", \
	'' using ($6*1e-9) title "max"
}

# ---- sweep -----------------------------------------------------------------
if (sweep) {
reset
set terminal pngcairo size 1000,600 font "DejaVu Sans,10" noenhanced
set output out.'/sweep.png'
set grid ytics lc rgb "#dddddd"
stats data.'/sweep.dat' using 1 nooutput
set title "numseq nextval, 2 threads, against CACHE (median, bars: min-max)"
set logscale x 2
set xlabel "CACHE"
set ylabel "ns per number, per thread"
set yrange [0:*]
set key top right
plot for [i=0:STATS_blocks-1] data.'/sweep.dat' index i using 1:2:3:4 \
	with yerrorlines lw 1.5 pt 7 title columnheader(1)
}
