Console.Error.WriteLine("usage: JobHub.Bench <benchmark>  (benchmarks are added with the engine)");
return 2;
