module corescope/bench

go 1.22
