# Entry points for a fresh machine: each target installs what is missing, builds, and runs.
BUILD_DIR ?= build
JOBS ?= 2

.PHONY: deps build demo test clean

deps:
	bash deploy/install-deps.sh

build: deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD_DIR) -j$(JOBS)

demo: build
	bash deploy/demo.sh $(BUILD_DIR)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j$(JOBS)

clean:
	rm -rf $(BUILD_DIR)
