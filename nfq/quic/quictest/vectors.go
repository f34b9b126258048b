package quictest

// RFCDCID is the client's original Destination Connection ID of the test
// vectors of RFC 9001 Appendix A and RFC 9369 Appendix A.
var RFCDCID = []byte{0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08}

// RFCFrames is the plaintext of the RFC's client Initial (RFC 9001 A.2):
// one CRYPTO frame with a 241-byte ClientHello for example.com; the RFC
// pads it with PADDING to 1162 bytes. It is commented hex, for
// pcaptest.Hex.
const RFCFrames = `
06 00 40f1                          # CRYPTO, offset 0, length 241
010000ed 0303                       # ClientHello, 237 bytes; legacy_version
ebf8fa56f12939b9584a3896472ec40bb863cfd3e86804fe3a47f06a2b69484c  # random
00                                  # session id
0004 13011302                       # cipher suites
0100                                # compression
00c0                                # extensions, 192 bytes
0000 0010 000e 00 000b 6578616d706c652e636f6d  # server_name example.com
ff01000100 000a00080006001d00170018 0010000700050461 6c706e
0005000501000000 00 0033002600 24001d00209370b2c9caa47fbabaf4559fedba753de171fa71f50f1ce15d43e994ec74d748
002b0003020304 000d0010000e0403050306030203080408050806
002d00020101 001c00024001
0039 0032 0408ffffffffffffffff 05048000ffff 07048000ffff 0801100104800075300901100f088394c8f03e51570806048000ffff
`
