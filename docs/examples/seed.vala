/* seed.vala: joblib's example “Serialization of un-picklable objects”, step
 * by step, on pmap-glib's processes backend; docs/seed.md walks through it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

const int LARGE_SIZE = 1000000;

// func_async(i, *args): 2 * i. Inputs are argument tuples, as delayed()
// makes them: the first member is i, the others are ignored.
Variant? func_async (Variant input) throws Error {
    return new Variant.int64 (2 * input.get_child_value (0).get_int64 ());
}

// The same under a registered name, which a worker finds again: the way
// the fast “variant” serializer carries functions.
Variant? func_by_name (Variant input) throws Error {
    return func_async (input);
}

// (21, large): 21 and the large argument, which the tuple shares.
Variant with_large (Variant large) {
    return new Variant.tuple ({ new Variant.int64 (21), large });
}

double seconds_since (int64 start) {
    return (get_monotonic_time () - start) / (double) TimeSpan.SECOND;
}

int main () {
    // A worker is this program started again, and stops at host_workers():
    // what it must find by name is registered first.
    Pmap.register_function ("func_by_name", func_by_name);
    Pmap.host_workers ();
    Intl.setlocale ();

    try {
        var processes = Pmap.Backend.create ("processes");
        var executor = new Pmap.Executor ();
        executor.n_jobs = 2;
        executor.backend = processes;

        // 1. A function of this program, on 2 worker processes, with the
        // default “general” serializer, which carries it by value.
        var results = executor.map ({ new Variant ("(x)", (int64) 21) }, func_async);
        print ("%" + int64.FORMAT + "\n", results[0].get_int64 ());

        // 2. The same with an extra large argument: one million integers.
        var numbers = new int64[LARGE_SIZE];
        for (int k = 0; k < LARGE_SIZE; k++)
            numbers[k] = k;
        // Not Variant.new_fixed_array(): Vala 0.56's binding of it forgets
        // that its result is floating, and the first tuple would steal it.
        var large = new Variant.from_bytes (new VariantType ("ax"),
                                            new Bytes ((uint8[]) numbers), true);

        var start = get_monotonic_time ();
        results = executor.map ({ with_large (large) }, func_async);
        print ("With processes backend and general serialization: %.3fs (result %" + int64.FORMAT + ")\n",
               seconds_since (start), results[0].get_int64 ());

        // 3. joblib's multiprocessing backend forks; pmap-glib has no such
        // backend, and compares with threads, which copy nothing.
        executor.backend = Pmap.Backend.create ("threads");
        start = get_monotonic_time ();
        results = executor.map ({ with_large (large) }, func_async);
        print ("With threads backend and no serialization: %.3fs (result %" + int64.FORMAT + ")\n",
               seconds_since (start), results[0].get_int64 ());
        executor.backend = processes;

        // 4. The fast “variant” serializer, as LOKY_PICKLER=pickle: a
        // function registered by name travels, ...
        executor.serializer = Pmap.Serializer.create ("variant");
        start = get_monotonic_time ();
        results = executor.map_by_name ("func_by_name", { with_large (large) });
        print ("With variant serialization: %.3fs (result %" + int64.FORMAT + ")\n",
               seconds_since (start), results[0].get_int64 ());

        // ... while func_async, which has no name, is refused.
        try {
            executor.map ({ with_large (large) }, func_async);
            printerr ("The variant serializer should have refused func_async\n");
            return 1;
        } catch (Pmap.Error.NOT_SERIALIZABLE error) {
            print ("Refused with PMAP_ERROR_NOT_SERIALIZABLE: %s\n", error.message);
        }

        // 5. Wrapped, func_async alone travels by value; the large
        // argument keeps the fast path.
        var wrapped = new Pmap.Wrapped (func_async);
        start = get_monotonic_time ();
        results = executor.map_wrapped (wrapped, { with_large (large) });
        print ("With variant serialization and wrapper: %.3fs (result %" + int64.FORMAT + ")\n",
               seconds_since (start), results[0].get_int64 ());
    } catch (Error error) {
        printerr ("The map failed: %s\n", error.message);
        return 1;
    }

    return 0;
}
