// Command cgo-thread has two threads blocked in C, so native backtraces can
// be checked: a pthread created in C (c_thread_main -> blocking_in_c) and a
// goroutine's thread inside a cgo call (go_enters_c -> blocking_in_c). Each
// records its kernel thread id from C.
package main

/*
#cgo CFLAGS: -O0 -g -fno-omit-frame-pointer
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static volatile long cs_pthread_tid;
static volatile long cs_cgocall_tid;

// blocking_in_c records the caller's thread id and sleeps forever. It is
// not static and not inlined, so it has its own frame and a symbol.
__attribute__((noinline)) void blocking_in_c(volatile long *tidp) {
	*tidp = syscall(SYS_gettid);
	for (;;) {
		struct timespec ts = {3600, 0};
		nanosleep(&ts, NULL);
	}
}

// c_thread_main is the start routine of a thread Go knows nothing about.
// It blocks every signal, so process-directed signals (SIGABRT from the
// harness) are delivered to Go's threads and not to it.
__attribute__((noinline)) void *c_thread_main(void *arg) {
	sigset_t all;
	(void)arg;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	blocking_in_c(&cs_pthread_tid);
	return NULL;
}

static int start_c_thread(void) {
	pthread_t t;
	pthread_attr_t a;
	int rc;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &a, c_thread_main, NULL);
	pthread_attr_destroy(&a);
	return rc;
}

// go_enters_c is what the goroutine calls; it never returns.
__attribute__((noinline)) void go_enters_c(void) {
	blocking_in_c(&cs_cgocall_tid);
}

static long pthread_tid(void) { return cs_pthread_tid; }
static long cgocall_tid(void) { return cs_cgocall_tid; }
*/
import "C"

import (
	"fmt"
	"time"

	"corescope/tests/scenarios/truth"
)

var _ = truth.ExactHeapProfile()

const bufBytes = 1 << 20

var (
	bufSize = bufBytes // non-constant size: heap allocated
	planted []byte
	cgoGoid int64
)

// cgoBlocker runs on its own goroutine and stays in C forever; the
// goroutine's state is "syscall".
func cgoBlocker() {
	cgoGoid = truth.GoID()
	C.go_enters_c()
}

func main() {
	f := truth.ParseFlags()
	t := truth.New("cgo-thread")

	planted = make([]byte, bufSize)
	fill := truth.FillBytes(planted, 3)
	t.Add(truth.Object{
		ID: "buf", Addr: truth.SliceData(planted), Size: bufBytes, Kind: "backing-array",
		GoType: truth.ArrayType(bufBytes, "uint8"), ElemType: "uint8",
		Len: truth.U64(bufBytes), Cap: truth.U64(bufBytes), Fill: fill,
		Root: truth.Root{Kind: "global", Name: "main.planted"}, Path: []string{"main.planted", "[]uint8"},
	})

	if rc := C.start_c_thread(); rc != 0 {
		truth.Fatalf("pthread_create: %d", int(rc))
	}
	go cgoBlocker()

	deadline := time.Now().Add(10 * time.Second)
	for C.pthread_tid() == 0 || C.cgocall_tid() == 0 {
		if time.Now().After(deadline) {
			truth.Fatalf("C threads did not start")
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.CThreads = []truth.CThread{
		{
			TID: int(C.pthread_tid()), Kind: "pthread",
			Functions: []string{"blocking_in_c", "c_thread_main"},
			Note:      "created by pthread_create in C; not known to the Go runtime; all signals blocked",
		},
		{
			TID: int(C.cgocall_tid()), Kind: "cgocall", Goid: cgoGoid,
			Functions: []string{"blocking_in_c", "go_enters_c"},
			Note:      fmt.Sprintf("goroutine %d (main.cgoBlocker) inside a cgo call; the cgo wrapper _cgo_<hash>_Cfunc_go_enters_c and runtime.asmcgocall are below go_enters_c", cgoGoid),
		},
	}
	t.Summary["c_functions"] = []string{"blocking_in_c", "c_thread_main", "go_enters_c"}
	t.Finish(f, truth.FinishOptions{})
}
