package io.pglocks;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/** vectors/key_ids.tsv: key as UTF-8 hex or repeat:<unit hex>:<count>, key_id, crc32_key_id, description. */
record Vectors(String key, long keyId, long crc32, String description) {
    static List<Vectors> all() throws IOException {
        List<Vectors> vectors = new ArrayList<>();
        String path = Db.env("PGLOCKS_VECTORS", "../../vectors/key_ids.tsv");
        for (String line : Files.readAllLines(Paths.get(path), StandardCharsets.UTF_8)) {
            if (line.isEmpty() || line.startsWith("#")) continue;
            String[] cols = line.split("\t", -1);
            byte[] bytes;
            if (cols[0].startsWith("repeat:")) {
                String[] rule = cols[0].split(":");
                byte[] unit = hex(rule[1]);
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                for (int i = Integer.parseInt(rule[2]); i > 0; i--) out.write(unit, 0, unit.length);
                bytes = out.toByteArray();
            } else {
                bytes = hex(cols[0]);
            }
            vectors.add(new Vectors(new String(bytes, StandardCharsets.UTF_8), Long.parseLong(cols[1]),
                Long.parseLong(cols[2]), cols[3]));
        }
        return vectors;
    }

    private static byte[] hex(String s) {
        byte[] out = new byte[s.length() / 2];
        for (int i = 0; i < out.length; i++) out[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        return out;
    }
}
