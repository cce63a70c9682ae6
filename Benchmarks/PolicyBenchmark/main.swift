print("PolicyBenchmark: nothing measured yet")
