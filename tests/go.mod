module corescope/tests

go 1.19
