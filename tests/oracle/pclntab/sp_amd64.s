// spHere returns its caller's stack pointer: the hardware SP at entry
// points at the return address, the caller's SP is one word above.  A
// frameless NOSPLIT ABI0 function, so nothing else moves SP.
#include "textflag.h"

TEXT ·spHere(SB),NOSPLIT,$0-8
	MOVQ	SP, AX
	ADDQ	$8, AX
	MOVQ	AX, ret+0(FP)
	RET
