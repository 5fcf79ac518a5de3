# Convenience targets for machines that have make; ./build.sh works without it.
.PHONY: build demo test bench fuzz clean
build:
	./build.sh build
demo:
	./build.sh demo
bench: build
	bench/run.sh build
test:
	./build.sh test
# libFuzzer targets built with clang in build-fuzz, each run FUZZ_SECONDS (default 60).
FUZZ_SECONDS ?= 60
fuzz:
	fuzz/run.sh $(FUZZ_SECONDS)
clean:
	rm -rf build build-fuzz
