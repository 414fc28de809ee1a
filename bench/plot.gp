# gnuplot -e "dir='bench/results'" bench/plot.gp
set terminal pngcairo size 900,500 font ",10" noenhanced
set output dir.'/in_backend.png'
set title "In-backend PL/pgSQL loop: time relative to raw pg_advisory_lock(bigint) + unlock (lower is faster)"
set style fill solid 0.6
set boxwidth 0.7
set yrange [0:*]
set xtics rotate by -30 left
set grid ytics
unset key
plot dir.'/in_backend.dat' using 0:2:xtic(1) with boxes
