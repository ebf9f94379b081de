using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace JobHub.Simulator;

/// <summary>
/// Small, real media files made in code (no binaries in the repository): PNG images and MP4 containers
/// with a chosen size and duration. The simulator serves them as outputs; tests and benchmarks upload them.
/// </summary>
public static class SampleMedia
{
    /// <summary>A valid RGB PNG of the given size, filled with a gradient seeded by <paramref name="seed"/>.</summary>
    public static byte[] Png(int width, int height, int seed = 0)
    {
        using var raw = new MemoryStream();
        for (var y = 0; y < height; y++)
        {
            raw.WriteByte(0); // filter: none
            for (var x = 0; x < width; x++)
            {
                raw.WriteByte((byte)(x * 255 / Math.Max(1, width - 1)));
                raw.WriteByte((byte)(y * 255 / Math.Max(1, height - 1)));
                raw.WriteByte((byte)(seed * 37));
            }
        }

        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            raw.Position = 0;
            raw.CopyTo(zlib);
        }

        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bit depth
        header[9] = 2; // colour type: RGB
        WriteChunk(png, "IHDR", header);
        WriteChunk(png, "IDAT", compressed.ToArray());
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>A minimal MP4 (ftyp + moov with movie and track headers) of the given size and duration.</summary>
    public static byte[] Mp4(int width, int height, double durationSeconds)
    {
        const int timeScale = 1000;
        var duration = (uint)Math.Round(durationSeconds * timeScale);

        var mvhd = new byte[100];
        BinaryPrimitives.WriteUInt32BigEndian(mvhd.AsSpan(12), timeScale);
        BinaryPrimitives.WriteUInt32BigEndian(mvhd.AsSpan(16), duration);
        BinaryPrimitives.WriteUInt32BigEndian(mvhd.AsSpan(20), 0x00010000); // rate 1.0
        BinaryPrimitives.WriteUInt16BigEndian(mvhd.AsSpan(24), 0x0100); // volume 1.0
        WriteIdentityMatrix(mvhd.AsSpan(36));
        BinaryPrimitives.WriteUInt32BigEndian(mvhd.AsSpan(96), 2); // next track id

        var tkhd = new byte[84];
        tkhd[3] = 3; // flags: enabled, in movie
        BinaryPrimitives.WriteUInt32BigEndian(tkhd.AsSpan(12), 1); // track id
        BinaryPrimitives.WriteUInt32BigEndian(tkhd.AsSpan(20), duration);
        WriteIdentityMatrix(tkhd.AsSpan(40));
        BinaryPrimitives.WriteUInt32BigEndian(tkhd.AsSpan(76), (uint)width << 16);
        BinaryPrimitives.WriteUInt32BigEndian(tkhd.AsSpan(80), (uint)height << 16);

        var ftyp = Box("ftyp", [.. "isom"u8, 0, 0, 2, 0, .. "isomiso2mp41"u8]);
        var moov = Box("moov", [.. Box("mvhd", mvhd), .. Box("trak", Box("tkhd", tkhd))]);
        return [.. ftyp, .. moov, .. Box("free", new byte[64])];
    }

    /// <summary>
    /// An AVI (RIFF 'AVI ' with its main and stream headers and one uncompressed 24-bit frame per second of
    /// <paramref name="durationSeconds"/> at 1 fps) of the given size.
    /// </summary>
    public static byte[] Avi(int width, int height, int durationSeconds)
    {
        var frameBytes = ((width * 3 + 3) & ~3) * height;
        var avih = new byte[56];
        BinaryPrimitives.WriteInt32LittleEndian(avih, 1_000_000); // µs per frame: 1 fps
        BinaryPrimitives.WriteInt32LittleEndian(avih.AsSpan(12), 0x10); // has index
        BinaryPrimitives.WriteInt32LittleEndian(avih.AsSpan(16), durationSeconds); // total frames
        BinaryPrimitives.WriteInt32LittleEndian(avih.AsSpan(24), 1); // streams
        BinaryPrimitives.WriteInt32LittleEndian(avih.AsSpan(28), frameBytes);
        BinaryPrimitives.WriteInt32LittleEndian(avih.AsSpan(32), width);
        BinaryPrimitives.WriteInt32LittleEndian(avih.AsSpan(36), height);

        var strh = new byte[56];
        Encoding.ASCII.GetBytes("vidsDIB ", strh);
        BinaryPrimitives.WriteInt32LittleEndian(strh.AsSpan(20), 1); // scale
        BinaryPrimitives.WriteInt32LittleEndian(strh.AsSpan(24), 1); // rate: 1/1 = 1 fps
        BinaryPrimitives.WriteInt32LittleEndian(strh.AsSpan(32), durationSeconds); // length in frames
        BinaryPrimitives.WriteInt32LittleEndian(strh.AsSpan(36), frameBytes);
        BinaryPrimitives.WriteInt32LittleEndian(strh.AsSpan(40), -1); // quality: default
        BinaryPrimitives.WriteInt16LittleEndian(strh.AsSpan(52), (short)width);
        BinaryPrimitives.WriteInt16LittleEndian(strh.AsSpan(54), (short)height);

        var strf = new byte[40]; // BITMAPINFOHEADER
        BinaryPrimitives.WriteInt32LittleEndian(strf, 40);
        BinaryPrimitives.WriteInt32LittleEndian(strf.AsSpan(4), width);
        BinaryPrimitives.WriteInt32LittleEndian(strf.AsSpan(8), height);
        BinaryPrimitives.WriteInt16LittleEndian(strf.AsSpan(12), 1); // planes
        BinaryPrimitives.WriteInt16LittleEndian(strf.AsSpan(14), 24); // bits per pixel
        BinaryPrimitives.WriteInt32LittleEndian(strf.AsSpan(20), frameBytes);

        var frame = new byte[frameBytes];
        for (var i = 0; i < frame.Length; i++)
        {
            frame[i] = (byte)(i * 7);
        }

        var movi = Enumerable.Range(0, durationSeconds).SelectMany(_ => Chunk("00db", frame)).ToArray();
        var index = Enumerable.Range(0, durationSeconds).SelectMany(i =>
        {
            var entry = new byte[16];
            Encoding.ASCII.GetBytes("00db", entry);
            BinaryPrimitives.WriteInt32LittleEndian(entry.AsSpan(4), 0x10); // key frame
            BinaryPrimitives.WriteInt32LittleEndian(entry.AsSpan(8), 4 + i * (8 + frameBytes));
            BinaryPrimitives.WriteInt32LittleEndian(entry.AsSpan(12), frameBytes);
            return entry;
        }).ToArray();
        var hdrl = List("hdrl", [.. Chunk("avih", avih), .. List("strl", [.. Chunk("strh", strh), .. Chunk("strf", strf)])]);
        return Riff("AVI ", [.. hdrl, .. List("movi", movi), .. Chunk("idx1", index)]);
    }

    private static byte[] Chunk(string id, byte[] data)
    {
        var chunk = new byte[8 + data.Length + (data.Length & 1)];
        Encoding.ASCII.GetBytes(id, chunk);
        BinaryPrimitives.WriteInt32LittleEndian(chunk.AsSpan(4), data.Length);
        data.CopyTo(chunk, 8);
        return chunk;
    }

    private static byte[] List(string type, byte[] content) => Riff(type, content, "LIST");

    private static byte[] Riff(string type, byte[] content, string id = "RIFF")
    {
        var list = new byte[12 + content.Length];
        Encoding.ASCII.GetBytes(id, list);
        BinaryPrimitives.WriteInt32LittleEndian(list.AsSpan(4), 4 + content.Length);
        Encoding.ASCII.GetBytes(type, list.AsSpan(8));
        content.CopyTo(list, 12);
        return list;
    }

    private static void WriteIdentityMatrix(Span<byte> target)
    {
        BinaryPrimitives.WriteUInt32BigEndian(target, 0x00010000);
        BinaryPrimitives.WriteUInt32BigEndian(target[16..], 0x00010000);
        BinaryPrimitives.WriteUInt32BigEndian(target[32..], 0x40000000);
    }

    private static byte[] Box(string type, byte[] payload)
    {
        var box = new byte[8 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(box, (uint)box.Length);
        Encoding.ASCII.GetBytes(type, box.AsSpan(4));
        payload.CopyTo(box, 8);
        return box;
    }

    private static void WriteChunk(Stream png, string type, byte[] data)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        png.Write(length);
        var typeAndData = new byte[4 + data.Length];
        Encoding.ASCII.GetBytes(type, typeAndData);
        data.CopyTo(typeAndData, 4);
        png.Write(typeAndData);
        Span<byte> crc = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(typeAndData));
        png.Write(crc);
    }

    private static readonly uint[] CrcTable = Enumerable.Range(0, 256).Select(n =>
    {
        var c = (uint)n;
        for (var k = 0; k < 8; k++)
        {
            c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        }

        return c;
    }).ToArray();

    private static uint Crc32(byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return crc ^ 0xFFFFFFFFu;
    }
}
