# gnuplot -e "dir='bench/results'" bench/plot.gp: every major's in-backend
# ratios (bench/results/in_backend.dat, written by bench.py) side by side
set terminal pngcairo size 1100,560 font ",10" noenhanced
set output dir.'/in_backend.png'
set title "In-backend PL/pgSQL loop: time relative to PostgreSQL's own advisory lock calls (lower is faster)"
set style data histograms
set style histogram cluster gap 1
set style fill solid 0.7 border -1
set boxwidth 0.9
set yrange [0:*]
set xtics rotate by -30 left
set grid ytics
set key top left
set bmargin 14
set rmargin 16
columns = words(system("head -n 1 ".dir."/in_backend.dat"))
plot for [i=2:columns] dir.'/in_backend.dat' using i:xtic(1) title columnheader(i)
