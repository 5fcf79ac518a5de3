# Convenience targets for machines that have make; ./build.sh works without it.
.PHONY: build demo test clean
build:
	./build.sh build
demo:
	./build.sh demo
test:
	./build.sh test
clean:
	rm -rf build
