# Convenience targets for machines that have make; ./build.sh works without it.
.PHONY: build demo test bench clean
build:
	./build.sh build
demo:
	./build.sh demo
bench: build
	bench/run.sh build
test:
	./build.sh test
clean:
	rm -rf build
