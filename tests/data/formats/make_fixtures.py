# Regenerates the small pickle fixtures in this folder (run with a python3 that has numpy).
# They let the C tests check numpy-written and protocol 0 files even where python3 is absent.
import pickle, numpy as np, os
here = os.path.dirname(os.path.abspath(__file__))
def dump(name, obj, proto):
    with open(os.path.join(here, name), 'wb') as f:
        pickle.dump(obj, f, protocol=proto)
d = {'a3': (np.arange(24, dtype=np.float32) * 0.5 - 3).reshape(2, 3, 4),
     'f2': np.asfortranarray(np.arange(15, dtype=np.float64).reshape(3, 5) / 7),
     'i1': (np.arange(4, dtype=np.int64) - 2) * 1000000000000,
     'e': np.zeros((0, 3), dtype=np.float32), 'be': np.array([1.25, 0, -3], dtype='>f8'),
     's64': np.float64(29.97), 's32': np.float32(0.25), 'si': np.int64(-7)}
dump('numpy_p2.pkl', d, 2)
dump('numpy_p5.pkl', d, 5)
sample = {'i': [0, 1, 255, 256, 65535, 65536, -1, -129, 2147483647, 2147483648, -2147483648,
                -2147483649, 2**62, -2**63, 2**63 - 1], 'f': [0.0, -0.0, 1.5, 1e300, 1.0/3.0, -2.5e-310],
          's': ['', 'abc', 'h\u00e9llo \u2713 \U0001d11e', 'line\nbreak\\ back', 'a' * 300],
          'b': [b'', b'\x00\xff\x80abc', bytes((i * 7) % 256 for i in range(512))],
          't': (1, 'x', None, True, False), 'n': None, 'nested': [[[]], {}, {'k': [1.0]}, ()]}
dump('sample_p0.pkl', sample, 0)
# Motion clips as older MimicKit files store them: 4 frames of 7 values, value (i*64+j)/8 - 10.
frames = np.array([[(i * 64 + j) / 8 - 10 for j in range(7)] for i in range(4)], dtype=np.float32)
dump('motion_np_p2.pkl', {'loop_mode': 1, 'fps': np.float64(30.0), 'frames': frames}, 2)
dump('motion_list_p0.pkl', {'loop_mode': 0, 'fps': 60, 'frames': frames.tolist()}, 0)
